#pragma once
// A local Qianmi gateway (commerce-sim --platform qianmi): the three item APIs over a seeded,
// changing catalogue of items with SKUs, and the OAuth token endpoint, checked as ROP checks them.
//
// Credentials (SimOptions.credentials): app_key and app_secret (required), access_token and
// refresh_token (the first pair; default "sim-access-token" / "sim-refresh-token"). Times are
// GMT+8 text whatever SimOptions.timezone says: the gateway's zone is fixed.
//
// Gateway (any path but /token), in ROP's order: method (26 missing, 27 unknown), appKey (22/23),
// sign over every parameter received in the query and the form body, empty ones included, except
// sign/file/image/logo (24 missing, 25 wrong), v 1.1 (28/30), format json (31), timestamp in GMT+8
// within 10 minutes of SimOptions.now (missing 32, unreadable 33, stale: reading timestamp_code),
// access_token (20 missing; reading token_code for an unknown, replaced, revoked or expired one;
// SimOptions.token_ttl, 0 = never expires), then the per-minute budget (SimOptions.
// rate_limit_per_minute, reading quota_code). Business checks: fields (32 when absent), page_no
// >= 0 and page_size 1..50 (33 isv.invalid-paramete:page_no / page_size), order_by column:asc|desc
// over cid, num, brand_id, type_id (33 isv.invalid-paramete:order_by), at most 50 num_iids (33
// isv.invalid-paramete:num_iids), num_iid for item.get (32).
//
// items.all.list lists the live catalogue (optional filters cid, brand_id, type_id) ordered by
// the column; no column is unique, and ties come back in a fresh random order on every call
// (reading ties=stable keeps insertion order). Pages are slices of the list as it is at that call,
// so a deletion ahead of a page shifts everything after it back one place. item.get of an unknown
// id answers an empty body (no `item`).
//
// POST /token (form: client_id, grant_type=refresh_token, refresh_token, sign): a new pair; the old
// access token stops working at once, the old refresh token too (reading old_refresh=dies) or
// once the new access token has been used (old_refresh=until_used).
//
// Control routes:
//   GET  /__sim/qianmi/stats       {"calls":{method:n,...,"/token":n},"errors":{code:n},
//                                   "refreshes":n}: every request that reached the simulator
//   GET  /__sim/qianmi/tokens      the current pair, when it was issued, refresh count
//   POST /__sim/qianmi/revoke      the current access token stops working now (refresh to recover)
//   GET|POST /__sim/qianmi/readings[?NAME=VALUE...]  sets and shows the open-question readings
//   POST /__sim/qianmi/touch?num_iid=X    edits one item now (new price and stock, new modified)
//   POST /__sim/qianmi/delete?num_iid=X   deletes one item
// plus the frame's /__sim/truth (current items, full records), /__sim/mutate?count=N (adds, edits,
// deletes) and /__sim/faults.

#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "csync/domain/time.hpp"
#include "csync/sim/simulated_platform.hpp"

namespace csync::qianmi {

class QianmiSimulator final : public SimulatedPlatform {
  public:
    // One switch per open question of the notes (§12), so the adapter is tested under each.
    struct Readings {
        // Success key: "named" items_list_get_response, "full" qianmi_cloudshop_items_list_get_
        // response, "other" an unrelated name (clients must take the first object member).
        std::string response_key = "named";
        std::string error_shape =
            "rop";  // rop: root errorToken/code/message; wrapped: error_response
        // wrapped ({"subError":[...]}, as the seed's sample) | array (ROP's Jackson form, notes)
        std::string sub_errors = "wrapped";
        int token_code = 21;            // code for an invalid/expired/revoked token: 21 | 20
        int timestamp_code = 38;        // code for a stale timestamp: 38 | 33
        bool millis_timestamp = false;  // also accept epoch milliseconds (the PHP SDK's form)
        std::string scalars =
            "mixed";  // mixed: codes text, counts numbers; string; number (codes too)
        std::string unknown_fields = "ignore";  // ignore | reject (33) fields the API cannot return
        bool lone_object = false;               // a one-row list comes as {"item":{...}}
        bool omit_empty_lists = false;          // no `items` member when nothing matched
        std::string oauth_form =
            "data";           // data: {"errorCode":0,"data":{...}}; status: {"status":1,...}
        int quota_code = 37;  // code of the per-minute budget answer: 34..37
        std::string ties = "shuffle";  // shuffle (fresh order per call) | stable (insertion)
        // What a refresh does to the refresh token it was given (the notes do not say): dies
        // at once | until_used: it still refreshes until the new access token is first used
        // (a client that lost the answer, e.g. killed mid-refresh, can ask again).
        std::string old_refresh = "dies";
    };

    // Throws std::invalid_argument without app_key and app_secret.
    explicit QianmiSimulator(SimOptions options);

    SimResponse handle(const SimRequest& request) override;
    std::string truth_ndjson() override;
    std::size_t mutate(std::size_t count) override;
    SimResponse rate_limit_response() const override;
    SimResponse control(const SimRequest& request) override;
    bool revoke_token() override {
        revoke_access_token();
        return true;
    }

    // In-process equivalents of the control routes, for unit tests.
    Readings& readings() { return readings_; }
    // Sets one reading from text; false (and nothing changes) when the name or value is unknown.
    bool set_reading(std::string_view name, std::string_view value);
    nlohmann::json readings_json() const;
    void revoke_access_token() { revoked_ = true; }
    const std::string& access_token() const { return access_token_; }
    const std::string& refresh_token() const { return refresh_token_; }
    std::int64_t refreshes() const { return refreshes_; }
    const std::map<std::string, std::int64_t>& calls() const { return calls_; }
    nlohmann::json stats_json() const;
    bool touch_item(const std::string& num_iid);
    bool delete_item(const std::string& num_iid);
    std::vector<std::string> item_ids() const;  // live items, insertion order
    std::size_t item_count() const { return items_.size(); }

  private:
    struct Sku {
        std::string sku_id;
        std::string outer_id;
        std::string barcode;
        std::string properties_name;
        std::string status;  // normal | delete
        std::int64_t price_cents = 0;
        std::int64_t quantity = 0;
        UtcTime modified{};
    };
    struct Item {
        std::string num_iid;
        std::string title;
        std::string outer_id;
        std::string cid;
        std::string brand_id;
        std::string brand_name;
        std::string type_id;
        std::string type_name;
        std::string d2c_status;
        std::string d2p_status;
        std::int64_t price_cents = 0;
        std::int64_t num = 0;
        UtcTime created{};
        UtcTime modified{};
        std::vector<Sku> skus;
    };
    using Fields = std::set<std::string>;
    using ParamMap = std::map<std::string, std::string>;

    UtcTime now() const;
    Item make_item(std::size_t serial, UtcTime modified);
    void edit(Item& item, UtcTime when);
    // nullptr when no live item has this id.
    Item* find_item(const std::string& num_iid);
    void erase_item(std::size_t position);
    nlohmann::json item_json(const Item& item, const Fields* fields) const;
    nlohmann::json count_json(std::int64_t n) const;
    nlohmann::json list_json(std::vector<nlohmann::json> rows) const;
    // body["items"] = {"item": rows}, per the list readings.
    void put_items(nlohmann::json& body, std::vector<nlohmann::json> rows) const;

    SimResponse success(std::string_view method, nlohmann::json body) const;
    SimResponse error(int code, std::string_view message, std::string_view sub_code = {},
                      std::string_view sub_message = {});
    SimResponse token_endpoint(const ParamMap& params);
    SimResponse oauth_refusal(std::string_view message) const;
    // Requested fields that the API can return; a 33 answer in `refusal` under
    // unknown_fields=reject.
    bool requested_fields(const ParamMap& params, const std::set<std::string_view>& allowed,
                          Fields& out, SimResponse& refusal);
    SimResponse all_list(const ParamMap& params);
    SimResponse list_get(const ParamMap& params);
    SimResponse item_get(const ParamMap& params);

    SimOptions options_;
    Readings readings_;
    std::string app_key_;
    std::string app_secret_;
    std::string access_token_;
    std::string refresh_token_;
    UtcTime token_issued_{};
    bool revoked_ = false;
    // The refresh token a refresh replaced, while it still works (reading old_refresh).
    std::string previous_refresh_token_;
    std::int64_t refreshes_ = 0;
    std::mt19937_64 rng_;
    std::vector<Item> items_;  // live catalogue in insertion (warehouse) order
    std::unordered_map<std::string, std::size_t> position_;  // num_iid -> index in items_
    std::size_t next_serial_ = 0;
    std::map<std::string, std::int64_t> calls_;
    std::map<std::string, std::int64_t> errors_;
    MinuteBudget budget_;
};

}  // namespace csync::qianmi
