#pragma once
// Realistic hot answers of the Qianmi, Wshoto and Wangdiantong simulators, as the daemon
// receives them (signed requests served in process): the page readers' differential tests and
// the micro-benchmarks read these.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "core/run_coro.hpp"
#include "fakes/sim_http_client.hpp"
#include "qianmi/simulator.hpp"
#include "qianmi/wire.hpp"
#include "wangdiantong/simulator.hpp"
#include "wangdiantong/wire.hpp"
#include "wshoto/simulator.hpp"
#include "wshoto/wire.hpp"

namespace csync::testing::hot_pages {

// 2025-10-09T08:53:20Z: after every simulator's generated history.
inline constexpr std::int64_t kNow = 1'760'000'000;

inline std::chrono::system_clock::time_point now() {
    return std::chrono::system_clock::time_point{std::chrono::seconds{kNow}};
}

inline HttpResponse send(SimulatedPlatform& sim, HttpRequest request) {
    boost::asio::io_context io;
    SimHttpClient http(sim);
    return run_coro(io, http.send(std::move(request))).value();
}

// An answer with `body` and `status`.
inline HttpResponse answer(std::string body, int status = 200) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

// ---- differential inputs ---------------------------------------------------------------------

// `body` and variants of it that a fast reader must read exactly as the general path does, or
// leave to it: truncations, garbage, a BOM, unicode escapes (a surrogate pair, a lone one),
// control bytes, big and odd numbers, duplicate keys, trailing bytes, deep nesting, and each
// of `swaps` (from -> to) applied to the first occurrence and to every occurrence.
inline std::vector<std::string> variants(
    const std::string& body, const std::vector<std::pair<std::string, std::string>>& swaps = {}) {
    std::vector<std::string> out = {body,
                                    "",
                                    "null",
                                    "[]",
                                    "{}",
                                    "\xff\xfe garbage",
                                    "\xEF\xBB\xBF" + body,
                                    body + " x",
                                    body + " \n",
                                    "  " + body,
                                    body + body};
    for (std::size_t cut : {body.size() / 3, body.size() / 2, body.size() - 1}) {
        out.push_back(body.substr(0, cut));
    }
    const auto replace_first = [&](const std::string& from, const std::string& to) {
        std::string v = body;
        if (auto at = v.find(from); at != std::string::npos) v.replace(at, from.size(), to);
        return v;
    };
    const auto replace_all = [&](const std::string& from, const std::string& to) {
        std::string v = body;
        for (std::size_t at = v.find(from); at != std::string::npos;
             at = v.find(from, at + to.size())) {
            v.replace(at, from.size(), to);
        }
        return v;
    };
    std::vector<std::pair<std::string, std::string>> all = {
        {":\"", ":\"\\u00e9\\u4e2d\\n\\\"\\/"},
        {":\"", ":\"\\ud83d\\ude00"},
        {":\"", ":\"\\udc00"},
        {":\"", ":\"\\ud800x"},
        {":\"", ":\"\x01"},
        {":\"", ":\"\n"},
        {":\"", ":\"\xc3\x28"},
        {",\"", ",\"dup\":1,\"dup\":[2,{\"a\":null}],\""},
        {",\"", ",\"big\":123456789012345678901234567890,\""},
        {",\"", ",\"huge\":18446744073709551615,\"neg\":-9223372036854775809,\""},
        {",\"", ",\"e\":1E+2,\"f\":-0.5e-3,\"z\":-0,\""},
        {",\"", ",\"inf\":1e400,\""},
        {",\"", ",\"deep\":" + std::string(600, '[') + std::string(600, ']') + ",\""},
        {",\"", ",\"bad\":01,\""},
        {",\"", ",\"bad\":tru,\""},
        {",\"", ", \t\r\n\""},
        {"{", "{\"\\u006b\":1,"},
        {"[", "[ "},
    };
    all.insert(all.end(), swaps.begin(), swaps.end());
    for (const auto& [from, to] : all) {
        out.push_back(replace_first(from, to));
        out.push_back(replace_all(from, to));
    }
    return out;
}

// ---- Qianmi ----------------------------------------------------------------------------------

struct Qianmi {
    explicit Qianmi(std::size_t products = 500, std::map<std::string, std::string> readings = {}) {
        SimOptions o;
        o.seed = 17;
        o.products = products;
        o.readings = std::move(readings);
        o.credentials = {{"app_key", app.app_key},
                         {"app_secret", app.app_secret},
                         {"access_token", "at-0"},
                         {"refresh_token", "rt-0"}};
        o.now = [] { return now(); };
        sim = std::make_unique<qianmi::QianmiSimulator>(o);
    }
    HttpResponse call(std::string_view method, const qianmi::Params& business) {
        return send(*sim, qianmi::build_request("http://sim/api", app, "at-0", method, business,
                                                UtcTime{std::chrono::seconds{kNow}})
                              .value());
    }
    // items.all.list page `page_no` (50 rows), the fields the items stream asks for.
    HttpResponse listing(std::int64_t page_no, std::string fields = "num_iid,modified") {
        qianmi::ListingQuery q;
        q.page_no = page_no;
        q.fields = std::move(fields);
        return call(qianmi::kItemsAllList, qianmi::listing_params(q).value());
    }
    // items.list.get of the ids one listing page names.
    HttpResponse batch(const std::vector<std::string>& ids) {
        return call(qianmi::kItemsListGet, qianmi::batch_params(ids).value());
    }

    qianmi::Credentials app{"hot-app", "hot-secret", "", ""};
    std::unique_ptr<qianmi::QianmiSimulator> sim;
};

// ---- Wshoto ----------------------------------------------------------------------------------

struct Wshoto {
    explicit Wshoto(std::size_t products = 1000, std::map<std::string, std::string> readings = {}) {
        SimOptions o;
        o.seed = 9;
        o.products = products;
        o.readings = std::move(readings);
        o.credentials = {{"appid", creds.appid}, {"app_secret", creds.app_secret}};
        o.now = [] { return now(); };
        sim = std::make_unique<wshoto::WshotoSimulator>(o);
        token = wshoto::read_token_response(
                    send(*sim, wshoto::build_token_request("http://sim", creds)), {})
                    .value()
                    .access_token;
    }
    // One page of product_type_id `type` (3, 7 or 12) from `cursor`.
    HttpResponse products(std::int64_t type, std::string cursor = "0", int page_size = 100) {
        return send(*sim,
                    wshoto::build_call("http://sim", wshoto::kProductListPath, token,
                                       wshoto::product_list_body(type, cursor, page_size).value()));
    }

    wshoto::Credentials creds{"hot-app", "hot-secret"};
    std::unique_ptr<wshoto::WshotoSimulator> sim;
    std::string token;
};

// ---- Wangdiantong ----------------------------------------------------------------------------

struct Wangdiantong {
    explicit Wangdiantong(std::size_t products = 2000) {
        SimOptions o;
        o.seed = 5;
        o.products = products;
        o.credentials = {{"sid", "h-sid"}, {"key", "h-key"}, {"appsecret", "h-sec:h-salt"}};
        o.now = [] { return now(); };
        sim = std::make_unique<wangdiantong::WangdiantongSimulator>(o);
        creds = wangdiantong::credentials_from(o.credentials).value();
    }
    HttpResponse call(std::string_view method, std::string body) {
        return send(
            *sim, wangdiantong::build_request("http://sim", creds, method, std::move(body), kNow));
    }
    // getSelfWaitSyncIdListOpen: `count` ids from `position`.
    HttpResponse wait_list(int count = 500, std::int64_t position = 0) {
        return call(wangdiantong::kWaitList,
                    "[" + std::to_string(count) + "," + std::to_string(position) + "]");
    }
    // batchCalcStock of `ids`, as the stock stream asks.
    HttpResponse batch_calc(const std::vector<std::int64_t>& ids) {
        std::string body = "[[";
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (i) body += ',';
            body += "{\"api_goods_id\":" + std::to_string(ids[i]) + ",\"force_sync\":false}";
        }
        return call(wangdiantong::kBatchCalcStock, body + "]]");
    }

    wangdiantong::Credentials creds;
    std::unique_ptr<wangdiantong::WangdiantongSimulator> sim;
};

}  // namespace csync::testing::hot_pages
