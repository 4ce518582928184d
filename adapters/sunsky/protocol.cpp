#include "sunsky/protocol.hpp"

#include <algorithm>
#include <cstdio>

#include "core/json_util.hpp"
#include "log/log.hpp"

namespace csync::sunsky {
namespace {

using nlohmann::json;

// Reads exactly `width` digits at `pos`; -1 when anything else is there.
int digits(std::string_view s, std::size_t pos, std::size_t width) {
    if (pos + width > s.size()) return -1;
    int v = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

bool blank(std::string_view v) {
    return std::all_of(v.begin(), v.end(), [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    });
}

std::string excerpt(std::string_view body) {
    constexpr std::size_t kMax = 120;
    std::string out(body.substr(0, kMax));
    if (body.size() > kMax) out += "...";
    return out;
}

}  // namespace

std::optional<LocalTime> parse_time(std::string_view text) {
    // MM/dd/yyyy[ HH:mm[:ss]]
    if (text.size() != 10 && text.size() != 16 && text.size() != 19) return std::nullopt;
    if (text[2] != '/' || text[5] != '/') return std::nullopt;
    const int month = digits(text, 0, 2);
    const int day = digits(text, 3, 2);
    const int year = digits(text, 6, 4);
    int hour = 0, minute = 0, second = 0;
    if (text.size() >= 16) {
        if (text[10] != ' ' || text[13] != ':') return std::nullopt;
        hour = digits(text, 11, 2);
        minute = digits(text, 14, 2);
        if (text.size() == 19) {
            if (text[16] != ':') return std::nullopt;
            second = digits(text, 17, 2);
        }
    }
    return local_time_from_fields(year, month, day, hour, minute, second);
}

std::string format_time(LocalTime t) {
    const auto days = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{days};
    const std::chrono::hh_mm_ss hms{t - days};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02u/%02u/%04d %02d:%02d:%02d",
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(ymd.year()), static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
    return buf;
}

std::string method_url(std::string_view base_url, std::string_view method) {
    std::string base(base_url);
    while (!base.empty() && base.back() == '/') base.pop_back();
    std::string m(method);
    while (!m.empty() && m.front() == '/') m.erase(0, 1);
    if (m.rfind("openapi/", 0) == 0) m.erase(0, 8);
    if (m.size() < 3 || m.compare(m.size() - 3, 3, ".do") != 0) m += ".do";
    return base + "/openapi/" + m;
}

Result<HttpRequest> build_request(std::string_view base_url, std::string_view method,
                                  const Params& params, const Credentials& credentials,
                                  std::string connection_key) {
    if (credentials.key.empty() || credentials.secret.empty()) {
        return Error::config("sunsky needs the credentials 'key' and 'secret'");
    }
    Params sent;
    sent.reserve(params.size() + 2);
    sent.emplace_back("key", credentials.key);
    for (const auto& [name, value] : params) {
        if (name == "key" || name == "signature") {
            return Error::config("parameter '" + name +
                                 "' is set from the account's credentials; do not pass it");
        }
        if (name.empty()) return Error::config("a parameter name is empty");
        if (blank(value)) continue;
        sent.emplace_back(name, value);
    }
    auto signature = SunskySigner::sign(sent, credentials.secret);
    if (!signature.ok()) return std::move(signature).error();
    log::add_signature(*signature);
    sent.emplace_back("signature", *signature);

    HttpRequest request;
    request.method = "POST";
    request.url = method_url(base_url, method);
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                       {"Accept", "application/json"}};
    request.body = build_form(sent);
    request.connection_key = std::move(connection_key);
    return request;
}

std::chrono::milliseconds wait_for_next_minute(std::chrono::system_clock::time_point now) {
    using namespace std::chrono;
    const auto since_epoch = duration_cast<milliseconds>(now.time_since_epoch());
    const auto into_minute = since_epoch % minutes{1};
    return milliseconds{minutes{1}} - into_minute + seconds{1};
}

Error classify_platform_error(std::string_view message, std::chrono::system_clock::time_point now) {
    const std::string text(message.empty() ? std::string_view("(no message)") : message);
    if (contains(message, "SIGNATURE")) {
        return Error::auth("Sunsky rejected the request signature (" +
                           std::string(kSignatureError) + "): check the account's key and secret");
    }
    if (contains(message, kUserStatusError) || contains(message, "NO_PERMISSION")) {
        return Error::auth("Sunsky refused the API key (" + text +
                           "): the key is inactive or the account is not approved");
    }
    if (contains(message, "UP_TO_API_CALL_LIMIT")) {
        return Error::rate_limited("Sunsky call budget used up (" + text + ")",
                                   wait_for_next_minute(now));
    }
    if (contains(message, "UP_TO_")) {  // other quotas, e.g. UP_TO_IMAGE_DOWNLOAD_LIMIT
        return Error::rate_limited("Sunsky quota reached (" + text + ")",
                                   std::chrono::milliseconds{60'000});
    }
    if (contains(message, "NOT exist")) {
        return Error::config("Sunsky: " + text);
    }
    return Error::bad_response("Sunsky answered an error: " + text);
}

Result<json> parse_envelope(const HttpResponse& response,
                            std::chrono::system_clock::time_point now) {
    const int status = response.status;
    if (status >= 500) {
        return Error::transient("Sunsky HTTP " + std::to_string(status) + ": " +
                                excerpt(response.body));
    }
    if (status == 429) {
        return Error::rate_limited("Sunsky HTTP 429", wait_for_next_minute(now));
    }
    if (status == 401 || status == 403) {
        // Reported for IP whitelist restrictions (shared/platforms/sunsky.md §8).
        return Error::auth(
            "Sunsky HTTP " + std::to_string(status) +
            " (access refused; check the account's IP whitelist): " + excerpt(response.body));
    }
    if (status == 404) {
        return Error::config("Sunsky HTTP 404: no such API method or record");
    }
    if (status < 200 || status >= 300) {
        return Error::bad_response("Sunsky HTTP " + std::to_string(status) + ": " +
                                   excerpt(response.body));
    }
    auto parsed = parse_json_exact(response.body);
    if (!parsed.ok()) {
        // Some errors arrive as plain text (NO_PERMISSION_DUE_TO_USER_STATUS was seen so).
        const std::string_view body = response.body;
        if (contains(body, "NO_PERMISSION") || contains(body, "UP_TO_")) {
            std::string trimmed(body.substr(0, 200));
            while (!trimmed.empty() && blank(std::string_view(&trimmed.back(), 1))) {
                trimmed.pop_back();
            }
            return classify_platform_error(trimmed, now);
        }
        return Error::bad_response("Sunsky sent a body that is not JSON: " +
                                   parsed.error().message);
    }
    const json& doc = *parsed;
    if (!doc.is_object()) {
        return Error::bad_response("Sunsky envelope is not a JSON object: " + excerpt(doc.dump()));
    }
    auto result = json_text(doc, "result");
    if (!result) {
        return Error::bad_response("Sunsky envelope has no 'result': " + excerpt(response.body));
    }
    if (*result == "success") {
        auto it = doc.find("data");
        if (it == doc.end()) {
            return Error::bad_response("Sunsky success envelope without 'data'");
        }
        return *it;
    }
    if (*result == "error") {
        std::string message;
        if (auto it = doc.find("messages"); it != doc.end() && it->is_array()) {
            for (const auto& m : *it) {
                auto t = json_scalar_text(m);
                if (!t) continue;
                if (!message.empty()) message += "; ";
                message += *t;
            }
        } else if (auto m = json_text(doc, "messages")) {
            message = *m;
        }
        return classify_platform_error(message, now);
    }
    return Error::bad_response("Sunsky envelope has result '" + *result +
                               "' (expected success or error)");
}

Result<SearchPage> parse_search_page(const json& data) {
    if (!data.is_object()) {
        return Error::bad_response("Sunsky page object expected, got " +
                                   std::string(data.type_name()));
    }
    SearchPage page;
    auto rows = data.find("result");
    if (rows == data.end() || !(rows->is_array() || rows->is_null())) {
        return Error::bad_response("Sunsky page object without a 'result' array");
    }
    if (rows->is_array()) page.rows.assign(rows->begin(), rows->end());
    auto page_count = json_int(data, "pageCount");
    if (!page_count || *page_count < 0) {
        return Error::bad_response("Sunsky page object without a valid 'pageCount'");
    }
    page.page_count = *page_count;
    page.total = json_int(data, "total").value_or(-1);
    return page;
}

}  // namespace csync::sunsky
