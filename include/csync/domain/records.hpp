#pragma once
// Normalized records, one struct per table of the store. Adapters fill them from platform JSON in
// pure mapping functions; the store writes them. `raw_json` keeps the platform's own record.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "csync/domain/decimal.hpp"
#include "csync/domain/time.hpp"

namespace csync {

enum class ProductStatus { active, inactive, deleted, out_of_stock };
std::string_view to_string(ProductStatus s) noexcept;

// One row per sellable SKU.
struct Product {
    std::string external_id;         // platform's business key of the SKU (Sunsky itemNo)
    std::string parent_external_id;  // variant group (Sunsky groupItemNo), empty if none
    std::string sku;
    std::string barcode;
    std::string title;
    std::string brand;
    std::string category_external_id;
    std::optional<Decimal> price;
    std::string currency;  // ISO 4217, "USD"
    std::optional<std::int64_t> stock;
    ProductStatus status = ProductStatus::active;
    std::optional<UtcTime> source_modified_at;
    std::string raw_json;
    // The platform's own status value(s), kept beside the normalized `status`; empty if none.
    std::string platform_status;
    // The rows one pass owns (AdapterStore::unseen_since): a pass never names another's rows.
    std::string scope;
};

struct Category {
    std::string external_id;
    std::string parent_external_id;  // empty for a top-level category
    std::string code;
    std::string name;
    std::string status;  // active | inactive | deleted
    std::optional<UtcTime> source_modified_at;
    std::string raw_json;
};

// A stock figure to publish for one platform SKU (Wangdiantong api_goodsspec rec_id).
struct StockLevel {
    std::string external_id;        // the platform's id of the stock line (rec_id)
    std::string sku;                // merchant code used to link to products.sku (match_code)
    std::string warehouse;          // empty when the figure is for all warehouses
    Decimal quantity;               // exact; ERPs send Decimal(19,4)
    std::int64_t change_count = 0;  // platform's change counter (stock_change_count)
    std::optional<UtcTime> source_modified_at;
    std::string raw_json;
};

enum class OrderStatus { pending, paid, shipped, cancelled, completed, unknown };
std::string_view to_string(OrderStatus s) noexcept;

struct OrderLine {
    std::string line_id;
    std::string sku;
    std::string title;
    Decimal quantity;
    std::optional<Decimal> unit_price;
    std::optional<Decimal> amount;
};

struct Order {
    std::string external_id;
    OrderStatus status = OrderStatus::unknown;
    std::string platform_status;  // the platform's own value, kept for audits
    std::string currency;
    std::optional<Decimal> total_amount;
    std::optional<UtcTime> created_at;
    std::optional<UtcTime> source_modified_at;
    // Following the order after it was placed (migration 0004). Empty / nullopt: not sent.
    std::optional<Decimal> subtotal_amount;  // the lines' amount, before shipping
    std::optional<Decimal> shipping_cost;
    std::string pack_status;  // the platform's own packing state code
    std::string shipping_way;
    std::string tracking_number;
    std::optional<UtcTime> paid_at;
    std::optional<UtcTime> shipped_at;
    std::string site_number;            // the merchant's own reference of the order
    std::string delivery_address_json;  // JSON object as the platform sent it
    std::vector<OrderLine> lines;
    std::string raw_json;
};

// One image of a product, kept as a content-addressed file: the store writes `data` to
// <image folder>/<sha256[0:2]>/<sha256> (durably, before the row commits) and records the path.
struct Image {
    std::string product_external_id;
    std::int32_t position = 0;
    std::string sha256;  // lower-case hex of `data`
    std::string data;    // the image's bytes
    std::optional<UtcTime> source_modified_at;
};

// A country the platform ships to.
struct Country {
    std::string external_id;
    std::string code;  // ISO 3166
    std::string name;
    bool ship_to_state = false;
    std::string states_json;  // JSON array of {code, name}
    std::string raw_json;
};

// A movement of the merchant's balance on the platform. Keyed by its content and `occurrence`
// (the how-many-th bill of identical content on its day): bills carry no id of their own.
struct LedgerEntry {
    UtcTime created_at{};
    std::string tx_type;
    std::string reference;  // empty when none
    Decimal amount;
    Decimal balance;
    std::int64_t occurrence = 1;
    std::string raw_json;
};

// The balance read from the platform at `observed_at`.
struct AccountBalance {
    Decimal balance;
    std::string currency;
    UtcTime observed_at{};
};

// One record a mapping could not turn into a row; it is parked so it never blocks its stream.
struct DeadLetter {
    std::string record_key;  // best-effort id of the record ("itemNo=..."), may be empty
    std::string payload;     // the raw record as received
    std::string error;
};

// Everything one page of one stream produced. Applied by the store in one transaction together
// with the stream's next cursor.
struct PageRecords {
    std::vector<Product> products;
    std::vector<Category> categories;
    std::vector<StockLevel> stock_levels;
    std::vector<Order> orders;
    std::vector<Image> images;
    std::vector<DeadLetter> dead_letters;
    std::vector<Country> countries;
    std::vector<LedgerEntry> ledger;
    std::optional<AccountBalance> balance;
    // Products whose absence the platform reported (tombstones): marked status=deleted.
    std::vector<std::string> deleted_product_ids;
    // Products listed again unchanged: only their last_seen_at moves (no details were fetched).
    std::vector<std::string> seen_product_ids;
    // Products whose whole image set this page carries (in `images`; none: the product has no
    // images any more). Their other image rows go, and files no row names any more are removed
    // once the page committed.
    std::vector<std::string> replaced_image_sets;
    std::string image_folder;             // where image files go; empty: beside the database
    std::int64_t image_budget_bytes = 0;  // the folder may not grow past this; 0: no budget
    // The platform is told once this page commits (Wangdiantong's acknowledgements) and will not
    // send it again: the commit is synced to disk before it returns, not only written to the WAL,
    // so a power cut after the acknowledgement cannot lose what was acknowledged.
    bool durable = false;

    std::size_t size() const noexcept {
        return products.size() + categories.size() + stock_levels.size() + orders.size() +
               images.size() + dead_letters.size() + deleted_product_ids.size() +
               seen_product_ids.size() + replaced_image_sets.size() + countries.size() +
               ledger.size() + (balance ? 1 : 0);
    }
};

}  // namespace csync
