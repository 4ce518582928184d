#pragma once
// Qianmi's wire contract apart from the signature (shared/platforms/qianmi.md, seed
// 002_2aecd5d3821c27c1): the signed gateway request, the response envelopes and how their codes
// map to typed csync::Error values, the OAuth refresh call, the three item APIs' parameters and
// the pure mapping of their answers. No I/O: the adapter and the simulator share every rule here.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "csync/domain/records.hpp"
#include "csync/domain/time.hpp"
#include "csync/error.hpp"
#include "csync/ports/http_client.hpp"
#include "csync/ports/platform_adapter.hpp"
#include "qianmi/signer.hpp"

namespace csync::qianmi {

inline constexpr std::string_view kDefaultGatewayUrl = "https://api.qianmi.com/api";
inline constexpr std::string_view kDefaultTokenUrl = "http://oauth.qianmi.com/token";
inline constexpr std::string_view kApiVersion = "1.1";
inline constexpr std::string_view kFormat = "json";
// The gateway refuses a timestamp further than this from its clock (seed: 最大时间误差为10分钟).
inline constexpr std::chrono::seconds kTimestampWindow{600};

inline constexpr std::string_view kItemsAllList = "qianmi.cloudshop.items.all.list";
inline constexpr std::string_view kItemsListGet = "qianmi.cloudshop.items.list.get";
inline constexpr std::string_view kItemGet = "qianmi.cloudshop.item.get";

// items.all.list pages (0-based page_no) and items.list.get batches: at most 50 each.
inline constexpr int kMaxPageSize = 50;
inline constexpr std::size_t kMaxIdsPerBatch = 50;
// The columns items.all.list may be ordered by; none is unique, so ties have no promised order.
inline constexpr std::string_view kOrderColumns[] = {"cid", "num", "brand_id", "type_id"};
// What a discovery page asks for: just enough to decide whether an item changed.
inline constexpr std::string_view kListingFields = "num_iid,modified";
// Every field items.list.get can return (seed: 只返回item商品结构中的以下字段). `modified` is
// not among them: the listing's `modified` dates the row.
inline constexpr std::string_view kListGetFields =
    "cid,pic_url,num,price,d2c_approve_status,d2p_approve_status,num_iid,title,created,unit,"
    "item_weight,item_size,outer_id,type_id,type_name,brand_id,brand_name,is_fenxiao,sub_stock";
// What item.get is asked for when an item's SKUs become rows.
inline constexpr std::string_view kItemGetFields =
    "num_iid,title,price,num,outer_id,cid,brand_name,modified,d2c_approve_status,"
    "d2p_approve_status,skus";

// Prices are in yuan.
inline constexpr const char* kCurrency = "CNY";

// ---- credentials -------------------------------------------------------------------------------

struct Credentials {
    std::string app_key;
    std::string app_secret;
    std::string access_token;   // from the config; account state may hold a newer one
    std::string refresh_token;  // likewise
};

// From an account's credential map (app_key, app_secret, access_token, refresh_token). A missing
// app_key or app_secret is a config error; the tokens may be empty here (the caller decides).
// Messages name the missing credential, never a value.
Result<Credentials> credentials_from(const std::map<std::string, std::string>& values);
// The values to mask wherever a request or a message is printed: the app secret and both tokens
// (non-empty ones).
std::vector<std::string> secret_values(const Credentials& credentials);

// ---- the signed gateway request ----------------------------------------------------------------

// The system parameters of one call, without `sign`: method, appKey, v, format, timestamp (GMT+8
// text of `now`) and access_token when not empty. No partner_id, no simplify (notes §3).
Params system_params(std::string_view app_key, std::string_view method,
                     std::string_view access_token, UtcTime now);

// The signed POST of one gateway call: system parameters and `sign` in the query string of
// `gateway_url` (the configured base_url, path included), business parameters as a UTF-8
// x-www-form-urlencoded body. Business parameters with an empty value are left out (the gateway
// signs every parameter it receives, empty ones included, and the SDKs never send them); a
// business parameter named like a system parameter is a config error. Build it again for a
// retry: the timestamp must be fresh. The caller sets connection_key and timeout.
Result<HttpRequest> build_request(std::string_view gateway_url, const Credentials& app,
                                  std::string_view access_token, std::string_view method,
                                  const Params& business, UtcTime now);

// ---- envelopes ---------------------------------------------------------------------------------

// "qianmi.cloudshop.items.list.get" -> "items_list_get_response": the method without the
// "qianmi.cloudshop." prefix, dots -> underscores, plus "_response" (notes §5.1).
std::string response_key(std::string_view method);

// An error as the gateway reports it, from either shape (notes §5.2).
struct PlatformError {
    std::string code;  // main code as text ("25"); numbers are read as their text
    std::string message;
    std::string sub_code;  // first sub-error's code, "" when none
    std::string sub_message;
};

// The error in a parsed answer, if it is one: {"error_response":{code,msg,sub_code,sub_msg}}, or
// ROP's root {errorToken?,code,message,solution,subErrors} with subErrors an array or
// {"subError":[...]} (or a lone object).
std::optional<PlatformError> find_error(const nlohmann::json& root);

// Types a platform error (notes §5.3): 25 signature and 22/23 app key -> auth; 3 -> auth
// (re-authorise the seller); 20/21 -> token_expired; 34-36 quota -> rate_limited with a one-minute
// hint, 37 frequency -> rate_limited with a one-second hint; an `isp.*` sub-code, 1 and 7 ->
// transient; 38/39 (timestamp, ROP forks) -> transient (re-signed with a fresh timestamp); 32/33
// and the other request errors -> config with the sub-code in the message; anything else ->
// bad_response. The message never carries a secret or a sign.
Error classify_error(const PlatformError& error);

// Reads one gateway answer: HTTP 5xx -> transient, 429 -> rate_limited, another non-2xx ->
// bad_response (an error envelope in it wins); non-JSON or truncated -> bad_response; an error
// envelope -> classify_error; else the success object under response_key(method), or the first
// object-valued member other than error_response.
Result<nlohmann::json> read_envelope(const HttpResponse& response, std::string_view method);

// A doubly wrapped list (notes §5.1): body[list_name] as {"<element>":[...]}, where <element> is
// `element_name` or, as the SDK falls back, list_name minus its last character. Also accepted: a
// lone object where the array should be, a bare array, an absent/null/empty list (no rows).
// Anything else (a string, a wrapper without the element) is bad_response.
Result<std::vector<nlohmann::json>> unwrap_list(const nlohmann::json& body,
                                                std::string_view list_name,
                                                std::string_view element_name = {});

// ---- OAuth refresh (notes §8) ------------------------------------------------------------------

struct TokenPair {
    std::string access_token;
    std::string refresh_token;
    std::optional<std::chrono::seconds> expires_in;  // absent when the answer has none
    UtcTime obtained_at{};
};

// The signed form POST to `token_url` (default kDefaultTokenUrl): client_id (= app key),
// grant_type=refresh_token, refresh_token and sign (the gateway's SHA-1 over those three).
Result<HttpRequest> build_refresh_request(std::string_view token_url, const Credentials& app,
                                          std::string_view refresh_token);

// Reads the token endpoint's answer, in either form: {"errorCode":0,"data":{...}} or
// {"status":1,...} with the tokens under "data" or at the root. A refusal (errorCode != 0,
// status != 1) -> auth, telling the operator to authorise the app again and put the new
// refresh_token in the config; 5xx -> transient; garbage or no access_token -> bad_response.
// A missing refresh_token in a success keeps `previous_refresh_token` (nothing rotated).
Result<TokenPair> read_refresh_response(const HttpResponse& response,
                                        std::string_view previous_refresh_token,
                                        UtcTime obtained_at);

// ---- the item APIs -----------------------------------------------------------------------------

// One items.all.list page request. No column is unique, so a tie group larger than a page comes
// back in a different order on every call and a page-number pass over it skips some ids; the
// filters narrow the listing (a filtered listing whose total_results fits one page is read whole,
// whatever its order). cid and brand_id can be asked for in `fields` to learn the partitions.
struct ListingQuery {
    std::int64_t page_no = 0;  // 0-based
    int page_size = kMaxPageSize;
    std::string order_by = "cid";  // "column[:asc|:desc]", column in kOrderColumns
    Params filters;                // any of cid, brand_id, type_id (an empty value is not sent)
    std::string fields = std::string(kListingFields);
};
// page_size 1..50, page_no >= 0, a known order column and direction, known filter names; else
// config. order_by goes out as "column:asc|desc".
Result<Params> listing_params(const ListingQuery& query);
// The common case: fields=num_iid,modified, no filter.
Result<Params> listing_params(std::int64_t page_no, int page_size, std::string_view order_by);

// items.list.get: fields=kListGetFields and 1..50 ids joined with ","; an empty id or one holding
// a comma -> config.
Result<Params> batch_params(const std::vector<std::string>& num_iids);

// item.get for one id: fields=kItemGetFields.
Params item_params(std::string_view num_iid);

// One row of a discovery page.
struct ListingEntry {
    std::string num_iid;
    std::optional<UtcTime> modified;  // nullopt when absent or unreadable: treat as changed
    std::string modified_text;        // as the platform sent it ("" when absent)
    std::string cid;                  // when asked for in `fields`, else ""
    std::string brand_id;             // likewise
};

struct ListingPage {
    std::int64_t total_results = 0;
    std::vector<ListingEntry> entries;
    std::vector<DeadLetter> dead_letters;  // rows without a num_iid
};

// The success object of items.all.list. Missing or negative total_results -> bad_response.
Result<ListingPage> read_listing(const nlohmann::json& body);

// A product row and the platform's own shelf status text, "d2c=<v>;d2p=<v>" (raw values; a
// missing one is written empty), for a platform_status column.
struct MappedProduct {
    Product product;
    std::string platform_status;
};

// True when a shelf status means on sale ("onsale", or "1"); false for "instock", "0" or empty;
// nullopt for anything else.
std::optional<bool> on_sale(std::string_view approve_status);

// One items.list.get row -> one product row: external_id = num_iid, sku = outer_id (num_iid when
// empty), price exact CNY, stock = num, category = cid, brand = brand_name, status `active` when on
// sale in either channel (d2c_approve_status / d2p_approve_status) else `inactive`. The API cannot
// return `modified`: `modified` is the listing's. Unmappable -> DeadLetter ("num_iid=...").
std::variant<MappedProduct, DeadLetter> map_item(const nlohmann::json& item,
                                                 std::optional<UtcTime> modified);

// The fields of an items.list.get row that map_item reads, as json_text (the views), json_decimal
// (price_value) and json_int (num_value) give them, whichever reader filled them.
struct ItemFields {
    std::optional<std::string_view> num_iid, outer_id, title, brand_name, cid, price, num,
        d2c_approve_status, d2p_approve_status, approve_status, modified;
    std::optional<Decimal> price_value;
    std::optional<std::int64_t> num_value;
};
// map_item's rules on a row's fields; `raw` (the row's JSON text) becomes raw_json, or the dead
// letter's payload.
std::variant<MappedProduct, DeadLetter> map_item_fields(const ItemFields& item,
                                                        std::optional<UtcTime> modified,
                                                        std::string raw);

// The rows of an items.list.get success object (ids asked for but absent are simply not there:
// the caller compares).
Result<std::vector<nlohmann::json>> read_batch(const nlohmann::json& body);

// The item of an item.get success object; nullopt when the answer holds none.
Result<std::optional<nlohmann::json>> read_item(const nlohmann::json& body);

// item.get's item -> one product row per SKU: external_id = sku_id, parent_external_id = num_iid,
// sku = SKU outer_id (sku_id when empty), barcode, exact price (the item's when the SKU has none),
// stock = quantity, title = item title + " " + properties_name, status `deleted` for a SKU whose
// status is "delete", else the item's; modified = the SKU's, else the item's, else `modified`.
// An item without SKUs gives no rows. Unmappable SKUs -> DeadLetter ("sku_id=...").
std::vector<std::variant<MappedProduct, DeadLetter>> map_item_skus(const nlohmann::json& item,
                                                                   std::optional<UtcTime> modified);

// ---- commerce-syncd api ------------------------------------------------------------------------

// A raw call: -p NAME=VALUE are business parameters (form body), --at fixes the timestamp
// (else `now`), --body is refused (the gateway takes form fields only), system parameter names in
// -p are refused. `access_token` is the one in use (account state, else the config).
Result<HttpRequest> build_raw_call(std::string_view gateway_url, const Credentials& app,
                                   std::string_view access_token, const RawCall& call, UtcTime now);
// ok, or the typed error the HTTP status or the envelope reports.
Status read_raw_response(const HttpResponse& response, std::string_view method);

}  // namespace csync::qianmi
