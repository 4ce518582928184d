#pragma once
// The Wshoto open API wire contract (../shared/platforms/wshoto.md, seed 001): the token call,
// the {code, msg, data, sub_code} envelope and its error typing, the product-library requests and
// the pure record -> row mapping. No I/O here.
//
// Every business call is `POST <base><path>?access_token=TOKEN` with a JSON body (the mall order
// list: GET with a JSON body, as documented; see orders.hpp). The token comes
// from `GET <base>/openapi/access_token?appid=&app_secret=`; it ends at create_at + expires_in
// (the endpoint hands out the SAME token until then, so "now + expires_in" would overrate it).

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "csync/domain/records.hpp"
#include "csync/domain/time.hpp"
#include "csync/error.hpp"
#include "csync/ports/http_client.hpp"

namespace csync::wshoto {

inline constexpr std::string_view kDefaultBaseUrl = "https://open.wshoto.com";
inline constexpr std::string_view kTokenPath = "/openapi/access_token";
inline constexpr std::string_view kTypeListPath =
    "/openapi/product/library/query_product_type_list";
inline constexpr std::string_view kCategoryPath =
    "/openapi/product/library/query_product_category_info";
inline constexpr std::string_view kProductListPath =
    "/openapi/product/library/page_query_product_library_info_list";
inline constexpr std::string_view kProductDetailPath =
    "/openapi/product/library/query_product_library_info";
inline constexpr int kMaxPageSize = 100;
inline constexpr std::size_t kMaxCursorLength = 32;
// product_status: -1 lists every product (pending, listed, delisted, expired).
inline constexpr int kAllStatuses = -1;
// The business success sub_code of the product-library endpoints.
inline constexpr std::string_view kSubCodeOk = "00000";

struct Credentials {
    std::string appid;
    std::string app_secret;
};
// Both present and non-empty, else config naming the missing one.
Result<Credentials> credentials_from(const std::map<std::string, std::string>& values);

// How envelope codes are typed. Defaults: the notes' third-party reading.
struct ErrorCodes {
    std::set<std::int64_t> auth{10001, 10010, 10011};  // token invalid/expired: refresh once
    std::set<std::int64_t> transient{3, -1};           // server busy: retry with backoff
};
// "10001, 10010" -> {10001, 10010}; empty or a non-number -> config naming the option.
Result<std::set<std::int64_t>> parse_code_list(std::string_view text, std::string_view option);

// The envelope of one answer -> its `data` (null when absent), or the typed error:
//   HTTP 429 rate_limited, 5xx transient, other non-2xx bad_response; a body that is not a JSON
//   object bad_response; code in codes.auth -> token_expired; code in codes.transient ->
//   transient; any other non-zero code, or a sub_code other than "00000", -> config (the platform
//   refused this request; retrying it changes nothing). `what` names the call in messages.
Result<nlohmann::json> read_envelope(const HttpResponse& response, const ErrorCodes& codes,
                                     std::string_view what);

// ---- token ---------------------------------------------------------------------------------
HttpRequest build_token_request(std::string_view base_url, const Credentials& creds);

struct IssuedToken {
    std::string access_token;
    std::int64_t create_at = 0;   // unix seconds
    std::int64_t expires_in = 0;  // seconds
};
// The token answer: code 0 with data.access_token (1..512 bytes), create_at and expires_in > 0.
// A refusal is auth (wrong appid/app_secret) unless its code is a transient one; HTTP 429 or a
// "frequency" refusal is rate_limited.
Result<IssuedToken> read_token_response(const HttpResponse& response, const ErrorCodes& codes);
// When the token stops working: create_at + expires_in (never "now + expires_in").
UtcTime token_expires_at(const IssuedToken& token);

// ---- business calls --------------------------------------------------------------------------
// `method` (POST; GET for the endpoints documented as GET with a JSON body)
// base+path?access_token=TOKEN with `body` as JSON.
HttpRequest build_call(std::string_view base_url, std::string_view path,
                       std::string_view access_token, const nlohmann::json& body,
                       std::string_view method = "POST");

// page_query_product_library_info_list's body: product_status -1, the cursor ("0" first), the
// page size (1..100, else config); current_index is not sent (the cursor pages).
Result<nlohmann::json> product_list_body(std::int64_t product_type_id, std::string_view cursor,
                                         int page_size);

struct ProductListPage {
    std::vector<nlohmann::json> records;
    std::int64_t total = 0;
    // The cursor of the next page: data.max_cursor when the platform sends one there, else the
    // last record's max_cursor (the seed shows it per record); "" when neither is present.
    std::string next_cursor;
};
// The data object of a list answer; records missing or not an array -> bad_response; a cursor
// longer than 32 characters -> bad_response.
Result<ProductListPage> read_product_list(const nlohmann::json& data);

// The data of the page-numbered lists (mall orders, valet-order goods): {total, records}. No
// records (or null data): an empty page; records not an array -> bad_response naming `what`;
// total -1 when absent.
struct NumberedPage {
    nlohmann::json records = nlohmann::json::array();
    std::int64_t total = -1;
};
Result<NumberedPage> read_numbered_page(const nlohmann::json& data, std::string_view what);

// The envelope of a detail call: as read_envelope, except that a business exception (code 0 with
// a sub_code other than "00000": the product is not there) gives null data.
Result<nlohmann::json> read_detail_envelope(const HttpResponse& response, const ErrorCodes& codes);

// query_product_library_info's answer: the product, or nullopt when data holds none (the product
// is gone).
std::optional<nlohmann::json> read_product_detail(const nlohmann::json& data);

// Product types: data.product_type_infos (or data itself as an array).
Result<std::vector<nlohmann::json>> read_product_types(const nlohmann::json& data);
// The category tree of one type: data.product_category_infos, children in
// children_category_list.
Result<std::vector<nlohmann::json>> read_category_tree(const nlohmann::json& data);

// A product type as a category row: external_id "type:<id>", code "product_type", no parent.
std::variant<Category, DeadLetter> map_product_type(const nlohmann::json& type);
// One category node and all its descendants as rows: a top-level node's parent is its type
// ("type:<product_type_id>").
void map_category_tree(const nlohmann::json& node, std::vector<Category>& out,
                       std::vector<DeadLetter>& letters);
// The category external_id of a type id.
std::string type_category_id(std::string_view product_type_id);

// One product record -> a row: external_id product_library_id, sku product_code, title name,
// category product_category_id, status `active` when product_status is 1 (listed), `inactive` for
// 0/2/3, platform_status the raw value; price and stock are not in the API (nullopt). Missing id
// -> DeadLetter.
std::variant<Product, DeadLetter> map_product(const nlohmann::json& record);

// The fields of a product record that map_product reads, as json_text gives them, whichever
// reader filled them.
struct ProductFields {
    std::optional<std::string_view> product_library_id, product_code, name, product_category_id,
        product_status;
};
// map_product's rules on a record's fields; `raw` (the record's JSON text) becomes raw_json, or
// the dead letter's payload.
std::variant<Product, DeadLetter> map_product_fields(const ProductFields& record, std::string raw);

}  // namespace csync::wshoto
