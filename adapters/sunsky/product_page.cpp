#include "sunsky/product_page.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <simdjson.h>

#include "core/json_util.hpp"
#include "ondemand_page.hpp"
#include "sunsky/mapping.hpp"
#include "sunsky/protocol.hpp"

namespace csync::sunsky {
namespace {

namespace od = simdjson::ondemand;

// The walk that validates what the mapping does not read (within the depth the general path
// accepts) and the end check are the ones every page reader shares.
using ondemand::at_end;
using ondemand::valid;

// An integer literal as json_text would print it (int64, no sign on zero): the token itself.
std::optional<std::string_view> integer_token(od::value value) {
    std::string_view token = value.raw_json_token();
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\n' ||
                              token.back() == '\r')) {
        token.remove_suffix(1);
    }
    const std::string_view digits = token.starts_with('-') ? token.substr(1) : token;
    if (digits.empty() || digits.size() > 18) return std::nullopt;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
    }
    if (digits.size() > 1 && digits.front() == '0') return std::nullopt;
    if (token == "-0") return std::nullopt;
    return token;
}

std::optional<std::int64_t> to_int(std::string_view token) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
    if (ec != std::errc{} || end != token.data() + token.size()) return std::nullopt;
    return v;
}

// The fields map_product reads, as they stand in one record.
struct RecordFields {
    std::string_view item_no, group, barcode, name, brand, category, price, modified;
    bool has_price = false, has_modified = false;
    std::optional<std::int64_t> stock, status;
    unsigned seen = 0;  // one bit per field: a second occurrence goes to the general path
};

enum Field : unsigned {
    kItemNo = 1u << 0,
    kGroup = 1u << 1,
    kBarcode = 1u << 2,
    kName = 1u << 3,
    kBrand = 1u << 4,
    kCategory = 1u << 5,
    kPrice = 1u << 6,
    kStock = 1u << 7,
    kStatus = 1u << 8,
    kModified = 1u << 9,
};

// A text field: a string, or null (absent). Anything else is left to the general path.
bool read_text(od::value value, std::string_view& out, bool* present = nullptr) {
    od::json_type type;
    if (value.type().get(type)) return false;
    if (type == od::json_type::null) {
        bool is_null = false;
        return !value.is_null().get(is_null) && is_null;
    }
    if (type != od::json_type::string || value.get_string().get(out)) return false;
    if (present) *present = true;
    return true;
}

// An integer field: an integer literal, or null (absent).
bool read_int(od::value value, std::optional<std::int64_t>& out) {
    od::json_type type;
    if (value.type().get(type)) return false;
    if (type == od::json_type::null) {
        bool is_null = false;
        return !value.is_null().get(is_null) && is_null;
    }
    if (type != od::json_type::number) return false;
    auto token = integer_token(value);
    if (!token) return false;
    out = to_int(*token);
    return out.has_value();
}

bool read_field(std::string_view key, od::value value, RecordFields& r, int depth) {
    const auto once = [&](unsigned bit) {
        if (r.seen & bit) return false;
        r.seen |= bit;
        return true;
    };
    if (key == "itemNo") return once(kItemNo) && read_text(value, r.item_no);
    if (key == "groupItemNo") return once(kGroup) && read_text(value, r.group);
    if (key == "barcode") return once(kBarcode) && read_text(value, r.barcode);
    if (key == "name") return once(kName) && read_text(value, r.name);
    if (key == "brandName") return once(kBrand) && read_text(value, r.brand);
    if (key == "categoryId") {
        if (!once(kCategory)) return false;
        od::json_type type;
        if (value.type().get(type)) return false;
        if (type != od::json_type::number) return read_text(value, r.category);
        auto token = integer_token(value);
        if (!token) return false;
        r.category = *token;
        return true;
    }
    if (key == "price") return once(kPrice) && read_text(value, r.price, &r.has_price);
    if (key == "stock") return once(kStock) && read_int(value, r.stock);
    if (key == "status") return once(kStatus) && read_int(value, r.status);
    if (key == "gmtModified")
        return once(kModified) && read_text(value, r.modified, &r.has_modified);
    return valid(value, depth);
}

std::optional<ProductStatus> product_status(std::int64_t code) {
    switch (code) {
        case 0:
            return ProductStatus::inactive;
        case 1:
            return ProductStatus::active;
        case 2:
            return ProductStatus::deleted;
        case 3:
            return ProductStatus::out_of_stock;
        default:
            return std::nullopt;
    }
}

// Eight bytes at a time: a byte below 0x20 borrows into its own high bit (exact for "any").
bool has_control_byte(std::string_view text) {
    constexpr std::uint64_t kOnes = 0x0101010101010101u, kHighs = 0x8080808080808080u;
    std::size_t i = 0;
    for (; i + 8 <= text.size(); i += 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, text.data() + i, 8);
        if ((word - kOnes * 0x20) & ~word & kHighs) return true;
    }
    for (; i < text.size(); ++i) {
        if (static_cast<unsigned char>(text[i]) < 0x20) return true;
    }
    return false;
}

// A record's key as sent, without unescaping it; false for a key with an escape (the record then
// goes to the general path, which unescapes). The key's closing quote is known to be there.
bool plain_key(const od::field& field, std::string_view& key) {
    const char* start = field.key().raw();
    const char* end = start;
    for (; *end != '"'; ++end) {
        if (*end == '\\') return false;
    }
    key = std::string_view(start, static_cast<std::size_t>(end - start));
    return true;
}

}  // namespace

struct ProductPageReader::Impl {
    od::parser page_parser;
    od::parser record_parser;
    std::string body;  // a padded copy of an answer without room for simdjson's read-ahead
    const char* input_end = nullptr;   // the end of the readable bytes after the answer read
    bool keep_unknown_status = false;  // the products option, for map_product
    std::vector<Product> spare;        // a committed page's products, assigned into again
    std::size_t used = 0;              // products of the page being read

    // The page's next product: a recycled one (every field is assigned by the caller) or new.
    Product& next_product(ProductPage& out) {
        if (used < out.products.size()) return out.products[used++];
        ++used;
        return out.products.emplace_back();
    }

    enum class Outcome { mapped, general_path, page_general_path };

    bool read_fast(const HttpResponse& response, const TimeZone& zone, ProductPage& out);
    bool read_data(od::value data, const TimeZone& zone, ProductPage& out);
    Outcome read_record(std::string_view raw, const TimeZone& zone, ProductPage& out);
    bool read_record_generally(std::string_view raw, const TimeZone& zone, ProductPage& out);
};

ProductPageReader::ProductPageReader() : impl_(std::make_unique<Impl>()) {}
ProductPageReader::~ProductPageReader() = default;

Status ProductPageReader::read(const HttpResponse& response, const TimeZone& zone,
                               std::chrono::system_clock::time_point now, ProductPage& out,
                               bool keep_unknown_status) {
    out = ProductPage{};
    out.products = std::move(impl_->spare);
    impl_->spare = {};
    impl_->used = 0;
    impl_->keep_unknown_status = keep_unknown_status;
    if (response.status >= 200 && response.status < 300 && impl_->read_fast(response, zone, out)) {
        out.products.resize(impl_->used);
        out.fast = true;
        return {};
    }
    recycle(std::move(out.products));
    out = ProductPage{};
    auto data = parse_envelope(response, now);
    if (!data.ok()) return data.error();
    auto page = parse_search_page(*data);
    if (!page.ok()) return page.error();
    out.seen.rows = page->rows.size();
    out.seen.page_count = page->page_count;
    out.total = page->total;
    for (const nlohmann::json& row : page->rows) {
        if (auto t = modified_time(row);
            t && (!out.seen.max_modified || *t > *out.seen.max_modified)) {
            out.seen.max_modified = *t;
        }
        auto mapped = map_product(row, zone, keep_unknown_status);
        if (auto* p = std::get_if<Product>(&mapped)) {
            out.products.push_back(std::move(*p));
        } else {
            out.dead_letters.push_back(std::get<DeadLetter>(std::move(mapped)));
        }
    }
    return {};
}

void ProductPageReader::recycle(std::vector<Product>&& products) {
    if (products.size() > impl_->spare.size()) impl_->spare = std::move(products);
}

bool ProductPageReader::Impl::read_fast(const HttpResponse& response, const TimeZone& zone,
                                        ProductPage& out) {
    // simdjson reads up to SIMDJSON_PADDING bytes past the end: the answer is parsed where it
    // lies when its string has that much spare capacity (the HTTP client reserves it), else in
    // a padded copy.
    const std::string& answer = response.body;
    const char* text = answer.data();
    std::size_t capacity = answer.capacity();
    if (capacity < answer.size() + simdjson::SIMDJSON_PADDING) {
        body.reserve(answer.size() + simdjson::SIMDJSON_PADDING);
        body.assign(answer);
        text = body.data();
        capacity = body.capacity();
    }
    input_end = text + capacity;
    od::document doc;
    if (page_parser.iterate(text, answer.size(), capacity).get(doc)) return false;
    od::object root;
    if (doc.get_object().get(root)) return false;
    bool success = false, have_result = false, have_data = false;
    for (auto field : root) {
        od::field f;
        std::string_view key;
        if (std::move(field).get(f) || f.unescaped_key().get(key)) return false;
        if (key == "result") {
            std::string_view result;
            if (have_result || f.value().get_string().get(result)) return false;
            have_result = true;
            success = result == "success";
        } else if (key == "data") {
            if (have_data || !read_data(f.value(), zone, out)) return false;
            have_data = true;
        } else if (!valid(f.value(), 1)) {
            return false;
        }
    }
    return success && have_data && at_end(doc);
}

bool ProductPageReader::Impl::read_data(od::value value, const TimeZone& zone, ProductPage& out) {
    od::object data;
    if (value.get_object().get(data)) return false;
    bool have_rows = false, have_count = false, have_total = false;
    for (auto field : data) {
        od::field f;
        std::string_view key;
        if (std::move(field).get(f) || f.unescaped_key().get(key)) return false;
        if (key == "result") {
            if (have_rows) return false;
            have_rows = true;
            od::json_type type;
            if (f.value().type().get(type)) return false;
            if (type == od::json_type::null) {
                bool is_null = false;
                if (f.value().is_null().get(is_null) || !is_null) return false;
                continue;
            }
            od::array rows;
            if (type != od::json_type::array || f.value().get_array().get(rows)) return false;
            for (auto element : rows) {
                od::object record;
                std::string_view raw;
                if (element.get_object().get(record) || record.raw_json().get(raw)) return false;
                ++out.seen.rows;
                if (read_record(raw, zone, out) == Outcome::page_general_path) return false;
            }
        } else if (key == "pageCount" || key == "total") {
            std::optional<std::int64_t> n;
            bool& have = key == "total" ? have_total : have_count;
            if (have || !read_int(f.value(), n)) return false;
            have = true;
            if (key == "total") {
                out.total = n.value_or(-1);
            } else {
                if (!n || *n < 0) return false;
                out.seen.page_count = *n;
            }
        } else if (!valid(f.value(), 2)) {
            return false;
        }
    }
    return have_rows && have_count;
}

ProductPageReader::Impl::Outcome ProductPageReader::Impl::read_record(std::string_view raw,
                                                                      const TimeZone& zone,
                                                                      ProductPage& out) {
    const auto generally = [&] {
        return read_record_generally(raw, zone, out) ? Outcome::general_path
                                                     : Outcome::page_general_path;
    };
    if (has_control_byte(raw)) return generally();
    // The record lies inside the answer, whose padding follows it: readable ahead as simdjson
    // needs.
    const auto capacity = static_cast<std::size_t>(input_end - raw.data());
    od::document doc;
    od::object object;
    if (record_parser.iterate(raw.data(), raw.size(), capacity).get(doc) ||
        doc.get_object().get(object)) {
        return generally();
    }
    RecordFields r;
    for (auto field : object) {
        od::field f;
        std::string_view key;
        if (std::move(field).get(f) || !plain_key(f, key) || !read_field(key, f.value(), r, 1)) {
            return generally();
        }
    }
    if (!at_end(doc) || r.item_no.empty() || !r.status || !r.has_modified) return generally();
    const auto status = product_status(*r.status);
    const auto modified = parse_time(r.modified);
    if (!status || !modified) return generally();
    std::optional<Decimal> price;
    if (r.has_price) {
        price = Decimal::parse(r.price);
        if (!price) return generally();
    }
    if (!out.seen.max_modified || *modified > *out.seen.max_modified) {
        out.seen.max_modified = *modified;
    }
    // Every field of Product is assigned: the product may be a recycled one.
    Product& p = next_product(out);
    p.external_id = r.item_no;
    p.parent_external_id = r.group;
    p.sku = r.item_no;
    p.barcode = r.barcode;
    p.title = r.name;
    p.brand = r.brand;
    p.category_external_id = r.category;
    p.price = std::move(price);
    p.currency = kCurrency;
    p.stock = r.stock;
    p.status = *status;
    p.source_modified_at = zone.to_utc(*modified);
    p.raw_json = raw;
    p.platform_status.clear();
    p.scope.clear();
    return Outcome::mapped;
}

// One record outside the fast path's shape: mapped by map_product, with its own bytes kept as
// raw_json all the same, so its hash does not depend on which path read it.
bool ProductPageReader::Impl::read_record_generally(std::string_view raw, const TimeZone& zone,
                                                    ProductPage& out) {
    auto record = parse_json_exact(raw);
    if (!record.ok()) return false;  // the general path refuses the whole page
    if (auto t = modified_time(*record);
        t && (!out.seen.max_modified || *t > *out.seen.max_modified)) {
        out.seen.max_modified = *t;
    }
    auto mapped = map_product(*record, zone, keep_unknown_status);
    if (auto* p = std::get_if<Product>(&mapped)) {
        p->raw_json = raw;
        next_product(out) = std::move(*p);
    } else {
        // The letter too holds the record's own bytes: a retry stores them as raw_json.
        DeadLetter& letter = out.dead_letters.emplace_back(std::get<DeadLetter>(std::move(mapped)));
        letter.payload = raw;
    }
    return true;
}

}  // namespace csync::sunsky
