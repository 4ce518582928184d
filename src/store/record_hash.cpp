#include "store/record_hash.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/digest.hpp"

namespace csync::store {
namespace {

// Builds "<tag>|" followed by one "<length>:<bytes>," per present field and "~," per absent one.
class CanonicalText {
  public:
    // The text is built in one buffer per thread, kept across records: hashing a record
    // allocates nothing once the buffer has grown to the largest record.
    explicit CanonicalText(std::string_view tag) : text_(buffer()) {
        text_.clear();
        text_.append(tag);
        text_.push_back('|');
    }

    CanonicalText& add(std::string_view value) {
        text_.append(std::to_string(value.size()));
        text_.push_back(':');
        text_.append(value);
        text_.push_back(',');
        return *this;
    }
    CanonicalText& add(std::int64_t value) { return add(std::string_view(std::to_string(value))); }
    CanonicalText& add(const Decimal& value) { return add(std::string_view(value.text())); }
    CanonicalText& add(UtcTime value) {
        return add(static_cast<std::int64_t>(value.time_since_epoch().count()));
    }
    template <class T>
    CanonicalText& add(const std::optional<T>& value) {
        if (!value) {
            text_.append("~,");
            return *this;
        }
        return add(*value);
    }

    std::string hash() const { return content_hash(text_); }

  private:
    static std::string& buffer() {
        thread_local std::string text;
        return text;
    }

    std::string& text_;
};

}  // namespace

std::string record_hash(const Product& p) {
    CanonicalText text("product.v1");
    // Fields added later enter the text only when set, so rows written before keep their hash.
    if (!p.platform_status.empty() || !p.scope.empty()) {
        text.add(p.platform_status).add(p.scope);
    }
    return text.add(p.external_id)
        .add(p.parent_external_id)
        .add(p.sku)
        .add(p.barcode)
        .add(p.title)
        .add(p.brand)
        .add(p.category_external_id)
        .add(p.price)
        .add(p.currency)
        .add(p.stock)
        .add(to_string(p.status))
        .add(p.source_modified_at)
        .add(p.raw_json)
        .hash();
}

std::string record_hash(const Category& c) {
    return CanonicalText("category.v1")
        .add(c.external_id)
        .add(c.parent_external_id)
        .add(c.code)
        .add(c.name)
        .add(c.status)
        .add(c.source_modified_at)
        .add(c.raw_json)
        .hash();
}

std::string record_hash(const Country& c) {
    return CanonicalText("country.v1")
        .add(c.external_id)
        .add(c.code)
        .add(c.name)
        .add(std::int64_t{c.ship_to_state ? 1 : 0})
        .add(c.states_json)
        .add(c.raw_json)
        .hash();
}

std::string record_hash(const StockLevel& s) {
    return CanonicalText("stock_level.v1")
        .add(s.external_id)
        .add(s.sku)
        .add(s.warehouse)
        .add(s.quantity)
        .add(s.change_count)
        .add(s.source_modified_at)
        .add(s.raw_json)
        .hash();
}

std::string record_hash(const Order& o) {
    CanonicalText text("order.v2");
    text.add(o.external_id)
        .add(to_string(o.status))
        .add(o.platform_status)
        .add(o.currency)
        .add(o.total_amount)
        .add(o.created_at)
        .add(o.source_modified_at)
        .add(o.subtotal_amount)
        .add(o.shipping_cost)
        .add(o.pack_status)
        .add(o.shipping_way)
        .add(o.tracking_number)
        .add(o.paid_at)
        .add(o.shipped_at)
        .add(o.site_number)
        .add(o.delivery_address_json)
        .add(o.raw_json)
        .add(static_cast<std::int64_t>(o.lines.size()));
    for (const OrderLine& line : o.lines) {
        text.add(line.line_id)
            .add(line.sku)
            .add(line.title)
            .add(line.quantity)
            .add(line.unit_price)
            .add(line.amount);
    }
    return text.hash();
}

std::string record_hash(const Image& i) {
    return CanonicalText("image.v2")
        .add(i.product_external_id)
        .add(static_cast<std::int64_t>(i.position))
        .add(i.sha256)
        .add(static_cast<std::int64_t>(i.data.size()))
        .add(i.source_modified_at)
        .hash();
}

std::string tombstone_hash(const std::string& previous_hash) {
    return CanonicalText("tombstone.v1").add(previous_hash).hash();
}

}  // namespace csync::store
