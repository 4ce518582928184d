#include "wshoto/product_page.hpp"

#include <utility>
#include <variant>

#include "core/json_util.hpp"
#include "ondemand_page.hpp"

namespace csync::wshoto {
namespace {

namespace od = ondemand::od;
using ondemand::each_field;
using ondemand::read_once;
using ondemand::Scalar;

// Levels above a record's fields: the root, data, its records array and the record.
constexpr std::size_t kRecordDepth = 4;

void add(std::variant<Product, DeadLetter> mapped, ProductPage& out) {
    if (auto* p = std::get_if<Product>(&mapped)) {
        out.products.push_back(std::move(*p));
    } else {
        out.dead_letters.push_back(std::get<DeadLetter>(std::move(mapped)));
    }
}

}  // namespace

struct ProductPageReader::Impl {
    ondemand::PaddedBuffer buffer;
    od::parser page_parser;
    od::parser record_parser;
    std::string last_cursor;  // the last record's max_cursor text
    bool last_has_cursor = false;

    bool read_fast(const HttpResponse& response, ProductPage& out);
    bool read_data(od::value value, ProductPage& out);
    bool read_record(std::string_view raw, ProductPage& out);
    bool read_record_generally(std::string_view raw, ProductPage& out);
};

ProductPageReader::ProductPageReader() : impl_(std::make_unique<Impl>()) {}
ProductPageReader::~ProductPageReader() = default;

Status ProductPageReader::read(const HttpResponse& response, const ErrorCodes& codes,
                               ProductPage& out) {
    out = ProductPage{};
    fast_ = impl_->read_fast(response, out);
    if (fast_) return {};
    out = ProductPage{};
    auto data = read_envelope(response, codes, kProductListPath);
    if (!data.ok()) return data.error();
    auto listing = read_product_list(*data);
    if (!listing.ok()) return listing.error();
    out.records = listing->records.size();
    out.total = listing->total;
    out.next_cursor = std::move(listing->next_cursor);
    for (const nlohmann::json& record : listing->records) add(map_product(record), out);
    return {};
}

bool ProductPageReader::Impl::read_fast(const HttpResponse& response, ProductPage& out) {
    if (response.status < 200 || response.status >= 300) return false;
    if (!ondemand::plain_body(response.body)) return false;
    buffer.load(response.body);
    od::document doc;
    od::object root;
    if (page_parser.iterate(buffer.data(), buffer.size(), buffer.capacity()).get(doc) ||
        doc.get_object().get(root)) {
        return false;
    }
    Scalar code, sub_code;
    bool have_data = false;
    const bool read = each_field(root, [&](std::string_view key, od::value value) {
        if (key == "code") return read_once(value, code, 2);
        if (key == "sub_code") return read_once(value, sub_code, 2);
        if (key == "data") {
            if (have_data) return false;
            have_data = true;
            return read_data(value, out);
        }
        return ondemand::valid(value, 2);
    });
    // A refusal, a business sub_code or no code at all: the general path types it.
    const auto sub = ondemand::text_of(sub_code);
    return read && have_data && ondemand::at_end(doc) && ondemand::int_of(code) == 0 &&
           (!sub || *sub == kSubCodeOk);
}

bool ProductPageReader::Impl::read_data(od::value value, ProductPage& out) {
    od::object data;
    if (value.get_object().get(data)) return false;
    Scalar total, max_cursor;
    bool have_records = false;
    last_has_cursor = false;
    last_cursor.clear();
    const bool read = each_field(data, [&](std::string_view key, od::value field) {
        if (key == "total") return read_once(field, total, 3);
        if (key == "max_cursor") return read_once(field, max_cursor, 3);
        if (key != "records") return ondemand::valid(field, 3);
        if (have_records) return false;
        have_records = true;
        od::array records;
        if (field.get_array().get(records)) return false;
        for (auto element : records) {
            od::object record;
            std::string_view raw;
            if (element.get_object().get(record) || record.raw_json().get(raw)) return false;
            ++out.records;
            if (!read_record(raw, out)) return false;
        }
        return true;
    });
    if (!read || !have_records) return false;
    out.total = ondemand::int_of(total).value_or(0);
    if (auto cursor = ondemand::text_of(max_cursor)) {
        out.next_cursor = *cursor;
    } else if (last_has_cursor) {
        out.next_cursor = last_cursor;
    }
    return out.next_cursor.size() <= kMaxCursorLength;  // longer: the general path refuses it
}

bool ProductPageReader::Impl::read_record(std::string_view raw, ProductPage& out) {
    od::document doc;
    od::object object;
    Scalar id, code, name, category, status, cursor;
    const ondemand::FieldSlot slots[] = {
        {"product_library_id", &id},        {"product_code", &code},     {"name", &name},
        {"product_category_id", &category}, {"product_status", &status}, {"max_cursor", &cursor}};
    if (!ondemand::iterate_object(record_parser, raw, buffer, doc, object) ||
        !ondemand::read_fields(object, slots, static_cast<int>(kRecordDepth) + 1) ||
        !ondemand::at_end(doc)) {
        return read_record_generally(raw, out);
    }
    ProductFields fields;
    fields.product_library_id = ondemand::text_of(id);
    fields.product_code = ondemand::text_of(code);
    fields.name = ondemand::text_of(name);
    fields.product_category_id = ondemand::text_of(category);
    fields.product_status = ondemand::text_of(status);
    const auto cursor_text = ondemand::text_of(cursor);
    last_has_cursor = cursor_text.has_value();
    last_cursor = cursor_text.value_or("");
    add(map_product_fields(fields, std::string(raw)), out);
    return true;
}

// A record outside the fast path's shape: map_product on it, with its own bytes kept as raw_json
// all the same, so its hash does not depend on which path read it.
bool ProductPageReader::Impl::read_record_generally(std::string_view raw, ProductPage& out) {
    auto record = parse_json_exact(raw);
    if (!record.ok() || ondemand::json_depth(*record) + kRecordDepth - 1 > kMaxJsonDepth) {
        return false;  // the general path refuses the whole page
    }
    const auto cursor = json_scalar_text(record->value("max_cursor", nlohmann::json()));
    last_has_cursor = cursor.has_value();
    last_cursor = cursor.value_or("");
    auto mapped = map_product(*record);
    if (auto* p = std::get_if<Product>(&mapped)) {
        p->raw_json = raw;
    } else {
        std::get<DeadLetter>(mapped).payload = raw;
    }
    add(std::move(mapped), out);
    return true;
}

}  // namespace csync::wshoto
