#include "qianmi/item_page.hpp"

#include <utility>

#include "core/json_util.hpp"
#include "ondemand_page.hpp"

namespace csync::qianmi {
namespace {

namespace od = ondemand::od;
using ondemand::each_field;
using ondemand::read_once;
using ondemand::Scalar;

// Levels above a row's fields: the root, the <api>_response object, `items`, its `item` array
// and the row.
constexpr std::size_t kRowDepth = 5;

std::optional<std::string_view> text(const Scalar& s) { return ondemand::text_of(s); }

// The fields map_item reads, from one row's object.
struct RowScalars {
    Scalar num_iid, outer_id, title, brand_name, cid, price, num, d2c, d2p, approve, modified;

    // False for a duplicate or unreadable field.
    bool read(od::object object, int depth) {
        const ondemand::FieldSlot slots[] = {{"num_iid", &num_iid},
                                             {"outer_id", &outer_id},
                                             {"title", &title},
                                             {"brand_name", &brand_name},
                                             {"cid", &cid},
                                             {"price", &price},
                                             {"num", &num},
                                             {"d2c_approve_status", &d2c},
                                             {"d2p_approve_status", &d2p},
                                             {"approve_status", &approve},
                                             {"modified", &modified}};
        return ondemand::read_fields(object, slots, depth);
    }

    ItemFields fields() const {
        ItemFields f;
        f.num_iid = text(num_iid);
        f.outer_id = text(outer_id);
        f.title = text(title);
        f.brand_name = text(brand_name);
        f.cid = text(cid);
        f.price = text(price);
        f.num = text(num);
        f.d2c_approve_status = text(d2c);
        f.d2p_approve_status = text(d2p);
        f.approve_status = text(approve);
        f.modified = text(modified);
        f.price_value = ondemand::decimal_of(price);
        f.num_value = ondemand::int_of(num);
        return f;
    }
};

}  // namespace

struct ItemPageReader::Impl {
    ondemand::PaddedBuffer buffer;
    od::parser page_parser;
    od::parser row_parser;

    // The success object of a body whose root holds nothing else; `read_body` takes it. As in
    // read_envelope, a lone object member is the body whatever its name (<api>_response, or the
    // SDK's other spellings), unless it is an error.
    template <typename ReadBody>
    bool read_root(const HttpResponse& response, ReadBody&& read_body) {
        if (response.status < 200 || response.status >= 300) return false;
        if (!ondemand::plain_body(response.body)) return false;
        buffer.load(response.body);
        od::document doc;
        od::object root;
        if (page_parser.iterate(buffer.data(), buffer.size(), buffer.capacity()).get(doc) ||
            doc.get_object().get(root)) {
            return false;
        }
        bool have_body = false;
        const bool read = each_field(root, [&](std::string_view name, od::value value) {
            // An error envelope (find_error) or a second member: the general path.
            if (name == "error_response" || name == "errorToken" || have_body) return false;
            have_body = true;
            od::object object;
            return !value.get_object().get(object) && read_body(object);
        });
        return read && have_body && at_end(doc);
    }

    // `items` as {"item":[{...}, ...]}: each row object to `row` (false: the general path).
    template <typename Row>
    static bool read_items(od::value value, Row&& row) {
        od::object wrapper;
        if (value.get_object().get(wrapper)) return false;
        bool have_list = false;
        return each_field(wrapper,
                          [&](std::string_view name, od::value list) {
                              if (name != "item") return ondemand::valid(list, 4);
                              if (have_list) return false;
                              have_list = true;
                              od::array rows;
                              if (list.get_array().get(rows)) return false;
                              for (auto element : rows) {
                                  od::object object;
                                  if (element.get_object().get(object) || !row(object)) {
                                      return false;
                                  }
                              }
                              return true;
                          }) &&
               have_list;
    }

    static bool at_end(od::document& doc) { return ondemand::at_end(doc); }

    bool listing_fast(const HttpResponse& response, ListingPage& out);
    bool batch_fast(const HttpResponse& response, const ModifiedById& modified,
                    std::vector<BatchRow>& out);
    bool batch_row(std::string_view raw, const ModifiedById& modified, std::vector<BatchRow>& out);
    bool batch_row_generally(std::string_view raw, const ModifiedById& modified,
                             std::vector<BatchRow>& out);
};

ItemPageReader::ItemPageReader() : impl_(std::make_unique<Impl>()) {}
ItemPageReader::~ItemPageReader() = default;

Result<ListingPage> ItemPageReader::read_listing(const HttpResponse& response) {
    ListingPage page;
    fast_ = impl_->listing_fast(response, page);
    if (fast_) return page;
    auto body = read_envelope(response, kItemsAllList);
    if (!body.ok()) return body.error();
    return qianmi::read_listing(*body);
}

Status ItemPageReader::read_batch(const HttpResponse& response, const ModifiedById& modified,
                                  std::vector<BatchRow>& out) {
    out.clear();
    fast_ = impl_->batch_fast(response, modified, out);
    if (fast_) return {};
    out.clear();
    auto body = read_envelope(response, kItemsListGet);
    if (!body.ok()) return body.error();
    auto rows = qianmi::read_batch(*body);
    if (!rows.ok()) return rows.error();
    for (const nlohmann::json& row : *rows) {
        std::string id = json_text(row, "num_iid").value_or("");
        auto m = modified.find(id);
        if (m == modified.end()) continue;
        out.push_back(BatchRow{std::move(id), map_item(row, m->second)});
    }
    return {};
}

bool ItemPageReader::Impl::listing_fast(const HttpResponse& response, ListingPage& out) {
    bool have_total = false;
    const auto read_row = [&](od::object row) {
        Scalar num_iid, modified, cid, brand_id;
        const ondemand::FieldSlot slots[] = {
            {"num_iid", &num_iid}, {"modified", &modified}, {"cid", &cid}, {"brand_id", &brand_id}};
        const bool read = ondemand::read_fields(row, slots, kRowDepth + 1);
        const auto id = text(num_iid);
        if (!read || !id || id->empty()) return false;  // a dead letter: the general path
        ListingEntry& entry = out.entries.emplace_back();
        entry.num_iid = *id;
        entry.modified_text = text(modified).value_or("");
        entry.modified = parse_timestamp(entry.modified_text);
        entry.cid = text(cid).value_or("");
        entry.brand_id = text(brand_id).value_or("");
        return true;
    };
    const auto read_body = [&](od::object body) {
        bool have_items = false;
        return each_field(body,
                          [&](std::string_view name, od::value value) {
                              if (name == "total_results") {
                                  Scalar total;
                                  if (have_total || !read_once(value, total, 3)) return false;
                                  auto n = ondemand::int_of(total);
                                  if (!n || *n < 0) return false;
                                  have_total = true;
                                  out.total_results = *n;
                                  return true;
                              }
                              if (name == "items") {
                                  if (have_items) return false;
                                  have_items = true;
                                  return read_items(value, read_row);
                              }
                              return ondemand::valid(value, 3);
                          }) &&
               have_items;
    };
    return read_root(response, read_body) && have_total;
}

bool ItemPageReader::Impl::batch_fast(const HttpResponse& response, const ModifiedById& modified,
                                      std::vector<BatchRow>& out) {
    const auto read_row = [&](od::object row) {
        std::string_view raw;
        return !row.raw_json().get(raw) && batch_row(raw, modified, out);
    };
    const auto read_body = [&](od::object body) {
        bool have_items = false;
        return each_field(body,
                          [&](std::string_view name, od::value value) {
                              if (name != "items") return ondemand::valid(value, 3);
                              if (have_items) return false;
                              have_items = true;
                              return read_items(value, read_row);
                          }) &&
               have_items;
    };
    return read_root(response, read_body);
}

// One row, parsed on its own (its bytes are its raw_json). False: the page goes to the general
// path.
bool ItemPageReader::Impl::batch_row(std::string_view raw, const ModifiedById& modified,
                                     std::vector<BatchRow>& out) {
    od::document doc;
    od::object object;
    RowScalars row;
    if (!ondemand::iterate_object(row_parser, raw, buffer, doc, object) ||
        !row.read(object, static_cast<int>(kRowDepth) + 1) || !at_end(doc)) {
        return batch_row_generally(raw, modified, out);
    }
    const ItemFields fields = row.fields();
    auto m = modified.find(std::string(fields.num_iid.value_or("")));
    if (m == modified.end()) return true;  // not asked for
    out.push_back(BatchRow{m->first, map_item_fields(fields, m->second, std::string(raw))});
    return true;
}

// A row outside the fast path's shape: map_item on it, with its own bytes kept as raw_json all
// the same, so its hash does not depend on which path read it.
bool ItemPageReader::Impl::batch_row_generally(std::string_view raw, const ModifiedById& modified,
                                               std::vector<BatchRow>& out) {
    auto row = parse_json_exact(raw);
    // The general path refuses the whole page (as it would the whole answer) when the row is
    // no JSON, or nests too deep once the page's levels above it are counted.
    if (!row.ok() || ondemand::json_depth(*row) + kRowDepth - 1 > kMaxJsonDepth) return false;
    std::string id = json_text(*row, "num_iid").value_or("");
    auto m = modified.find(id);
    if (m == modified.end()) return true;
    auto mapped = map_item(*row, m->second);
    if (auto* item = std::get_if<MappedProduct>(&mapped)) {
        item->product.raw_json = raw;
    } else {
        std::get<DeadLetter>(mapped).payload = raw;
    }
    out.push_back(BatchRow{std::move(id), std::move(mapped)});
    return true;
}

}  // namespace csync::qianmi
