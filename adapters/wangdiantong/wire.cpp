#include "wangdiantong/wire.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "core/digest.hpp"
#include "core/json_util.hpp"
#include "log/log.hpp"
#include "ondemand_page.hpp"

namespace csync::wangdiantong {
namespace {

using nlohmann::json;

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

bool contains_ascii_ci(std::string_view haystack, std::string_view needle) {
    if (needle.size() > haystack.size()) return false;
    for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
        bool match = true;
        for (std::size_t j = 0; j < needle.size() && match; ++j) {
            char a = haystack[i + j];
            char b = needle[j];
            if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
            match = a == b;
        }
        if (match) return true;
    }
    return false;
}

std::string describe_status(std::int64_t status, std::string_view message) {
    std::string out = "wangdiantong status " + std::to_string(status);
    if (!message.empty()) out += " (" + std::string(message) + ")";
    return out;
}

constexpr std::array<const char*, 7> kDays = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Text that is a valid JSON number as written (no exponent): -?(0|[1-9][0-9]*)(.[0-9]+)?
bool is_json_number_literal(std::string_view s) {
    std::size_t i = 0;
    if (i < s.size() && s[i] == '-') ++i;
    const std::size_t int_start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    const std::size_t int_len = i - int_start;
    if (int_len == 0 || (int_len > 1 && s[int_start] == '0')) return false;
    if (i == s.size()) return true;
    if (s[i] != '.') return false;
    ++i;
    const std::size_t frac_start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i == s.size() && i > frac_start;
}

// What parse_json_exact builds from the same bytes, built from simdjson's on-demand parser (the
// answers' records, id lists and acknowledgements all go through this document). False when the
// value is outside what both read alike (see ondemand_page.hpp): the caller then parses it with
// parse_json_exact.
bool exact_value(ondemand::od::value value, json& out, int depth) {
    namespace od = ondemand::od;
    od::json_type type;
    if (depth > ondemand::kMaxFastDepth || value.type().get(type)) return false;
    switch (type) {
        case od::json_type::object: {
            od::object object;
            if (value.get_object().get(object)) return false;
            out = json::object();
            auto& members = out.get_ref<json::object_t&>();
            for (auto field : object) {
                od::field f;
                std::string_view key;
                if (std::move(field).get(f) || f.unescaped_key().get(key)) return false;
                // Answers mostly list their keys in order: the hint makes each insert O(1). A
                // repeated key keeps the last value (its slot is overwritten), as nlohmann's
                // parser does.
                auto slot = members.try_emplace(members.end(), std::string(key));
                if (!exact_value(f.value(), slot->second, depth + 1)) return false;
            }
            return true;
        }
        case od::json_type::array: {
            od::array array;
            if (value.get_array().get(array)) return false;
            out = json::array();
            for (auto element : array) {
                od::value v;
                if (element.get(v)) return false;
                out.push_back(nullptr);
                if (!exact_value(v, out.back(), depth + 1)) return false;
            }
            return true;
        }
        case od::json_type::string: {
            std::string_view text;
            if (value.get_string().get(text)) return false;
            out = std::string(text);
            return true;
        }
        default: {
            // The common integer first: simdjson's own parse, as strict as JSON's grammar. A
            // non-negative one is unsigned to nlohmann; "-0" is its signed 0.
            if (type == od::json_type::number) {
                const bool negative = value.raw_json_token().front() == '-';
                if (std::int64_t n = 0; !value.get_int64().get(n)) {
                    if (negative) {
                        out = n;
                    } else {
                        out = static_cast<std::uint64_t>(n);
                    }
                    return true;
                }
            }
            ondemand::Scalar scalar;
            if (!ondemand::read_scalar(value, scalar, depth)) return false;
            switch (scalar.kind) {
                case ondemand::Scalar::Kind::string:
                case ondemand::Scalar::Kind::literal:  // exact text, never a double
                    out = std::string(scalar.text);
                    return true;
                case ondemand::Scalar::Kind::integer: {
                    // nlohmann reads a non-negative integer as unsigned, a negative one as signed.
                    const char* first = scalar.text.data();
                    const char* last = first + scalar.text.size();
                    if (scalar.text.front() == '-') {
                        std::int64_t v = 0;
                        std::from_chars(first, last, v);
                        out = v;
                    } else {
                        std::uint64_t v = 0;
                        std::from_chars(first, last, v);
                        out = v;
                    }
                    return true;
                }
                case ondemand::Scalar::Kind::boolean:
                    out = scalar.flag;
                    return true;
                case ondemand::Scalar::Kind::null:
                    out = nullptr;
                    return true;
                default:
                    return false;
            }
        }
    }
}

// The simdjson reader's buffers, kept across answers (the stream reads one answer at a time per
// thread).
struct FastReader {
    ondemand::PaddedBuffer buffer;
    ondemand::od::parser parser;
};

}  // namespace

std::optional<json> parse_exact_fast(std::string_view body) {
    if (!ondemand::plain_body(body)) return std::nullopt;
    thread_local FastReader reader;
    reader.buffer.load(body);
    ondemand::od::document doc;
    ondemand::od::value root;
    if (reader.parser.iterate(reader.buffer.data(), reader.buffer.size(), reader.buffer.capacity())
            .get(doc) ||
        doc.get_value().get(root)) {
        return std::nullopt;
    }
    json out;
    if (!exact_value(root, out, 1) || !ondemand::at_end(doc)) return std::nullopt;
    return out;
}

Result<std::pair<std::string, std::string>> split_appsecret(std::string_view appsecret) {
    const auto colon = appsecret.find(':');
    if (colon == std::string_view::npos) {
        return Error::config(
            "wangdiantong credential 'appsecret' must be written as secret:salt (no colon found)");
    }
    std::string secret(appsecret.substr(0, colon));
    std::string salt(appsecret.substr(colon + 1));
    if (secret.empty() || salt.empty()) {
        return Error::config(
            "wangdiantong credential 'appsecret' must be written as secret:salt (a part is empty)");
    }
    return std::make_pair(std::move(secret), std::move(salt));
}

Result<Credentials> credentials_from(const std::map<std::string, std::string>& values) {
    Credentials c;
    for (const char* name : {"sid", "key", "appsecret"}) {
        auto it = values.find(name);
        if (it == values.end() || it->second.empty()) {
            return Error::config(std::string("wangdiantong credential '") + name + "' is missing");
        }
    }
    c.sid = values.at("sid");
    c.key = values.at("key");
    c.appsecret = values.at("appsecret");
    auto split = split_appsecret(c.appsecret);
    if (!split.ok()) return split.error();
    c.secret = std::move(split->first);
    c.salt = std::move(split->second);
    return c;
}

std::string sign_plaintext(std::string_view secret,
                           const std::map<std::string, std::string>& params,
                           std::string_view body) {
    std::map<std::string, std::string_view> all;
    for (const auto& [k, v] : params) all.emplace(k, v);
    all.insert_or_assign("body", body);
    std::string plain(secret);
    for (const auto& [k, v] : all) {
        plain += k;
        plain += v;
    }
    plain += secret;
    return plain;
}

std::string sign(std::string_view secret, const std::map<std::string, std::string>& params,
                 std::string_view body) {
    return md5_hex(sign_plaintext(secret, params, body));
}

std::string endpoint_url(std::string_view base_url) {
    std::string base(base_url);
    while (!base.empty() && base.back() == '/') base.pop_back();
    constexpr std::string_view kPath = "/openapi";
    if (base.size() >= kPath.size() &&
        base.compare(base.size() - kPath.size(), kPath.size(), kPath) == 0) {
        return base;
    }
    return base + std::string(kPath);
}

std::map<std::string, std::string> public_params(const Credentials& c, std::string_view method,
                                                 std::int64_t unix_seconds) {
    return {{"sid", c.sid},
            {"key", c.key},
            {"salt", c.salt},
            {"method", std::string(method)},
            {"timestamp", std::to_string(to_wdt_timestamp(unix_seconds))},
            {"v", std::string(kApiVersion)}};
}

HttpRequest build_request(std::string_view base_url, const Credentials& c, std::string_view method,
                          std::string body, std::int64_t unix_seconds,
                          const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> params = public_params(c, method, unix_seconds);
    for (const auto& [k, v] : extra) params.insert_or_assign(k, v);
    const std::string signature = sign(c.secret, params, body);
    log::add_signature(signature);

    // The SDK's order: sorted keys, sign last.
    std::vector<std::pair<std::string, std::string>> query(params.begin(), params.end());
    query.emplace_back("sign", signature);

    HttpRequest req;
    req.method = "POST";
    req.url = endpoint_url(base_url) + "?" + build_form(query);
    req.headers = {{"Content-Type", "application/json"}};
    req.body = std::move(body);
    req.connection_key = "wangdiantong/sid=" + c.sid;
    return req;
}

std::string format_http_date(std::int64_t unix_seconds) {
    using namespace std::chrono;
    const sys_seconds t{seconds{unix_seconds}};
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss hms{t - day};
    const auto day_index = ((day.time_since_epoch().count() % 7) + 7) % 7;  // 1970-01-01 = Thu
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d GMT", kDays[day_index],
                  static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
                  static_cast<int>(ymd.year()), static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
    return buf;
}

std::optional<std::int64_t> parse_http_date(std::string_view text) {
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    if (text.size() != 29 || text.substr(3, 2) != ", " || text.substr(25) != " GMT") {
        return std::nullopt;
    }
    auto digits = [&](std::size_t pos, std::size_t n) -> std::optional<int> {
        int v = 0;
        for (std::size_t i = pos; i < pos + n; ++i) {
            if (text[i] < '0' || text[i] > '9') return std::nullopt;
            v = v * 10 + (text[i] - '0');
        }
        return v;
    };
    auto d = digits(5, 2), y = digits(12, 4), h = digits(17, 2), mi = digits(20, 2),
         s = digits(23, 2);
    if (!d || !y || !h || !mi || !s || text[16] != ' ' || text[19] != ':' || text[22] != ':') {
        return std::nullopt;
    }
    unsigned month = 0;
    for (unsigned i = 0; i < kMonths.size(); ++i) {
        if (text.substr(8, 3) == kMonths[i]) month = i + 1;
    }
    using namespace std::chrono;
    const year_month_day ymd{year{*y}, std::chrono::month{month}, day{static_cast<unsigned>(*d)}};
    if (month == 0 || !ymd.ok() || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;
    const sys_seconds t = sys_days{ymd} + hours{*h} + minutes{*mi} + seconds{*s};
    return t.time_since_epoch().count();
}

Error classify_status(std::int64_t status, std::string_view message,
                      std::optional<std::int64_t> clock_offset) {
    const std::string what = describe_status(status, message);
    switch (status) {
        case 1:
            if (contains(message, "验证") || contains_ascii_ci(message, "auth") ||
                contains_ascii_ci(message, "sid")) {
                return Error::auth(what +
                                   ": the platform rejected our credentials or sign "
                                   "(check sid, key, appsecret and base_url)");
            }
            if (contains(message, "For input string")) {
                return Error::config(what +
                                     ": the platform could not read a parameter "
                                     "(a timestamp in milliseconds?)");
            }
            return Error::config(what + ": the platform rejected the request as malformed");
        case 2:
            return Error::config(what + ": bad or unknown parameter");
        case 3:
            return Error::auth(what + ": the account requires a dynamic password");
        case 6:
            return Error::auth(what + ": our IP address is not on the account's whitelist");
        case 7: {
            if (clock_offset) {
                const std::int64_t off = *clock_offset;
                const std::int64_t mag = off < 0 ? -off : off;
                return Error::config(
                    "clock skew: the platform's clock differs from ours by " + std::to_string(mag) +
                    " s (it is " + (off < 0 ? "behind" : "ahead of") +
                    " ours); timestamps must be within " + std::to_string(kTimestampWindow) +
                    " s: synchronise the system clock (NTP). " + what);
            }
            return Error::config("clock skew: the platform rejected our timestamp as more than " +
                                 std::to_string(kTimestampWindow) +
                                 " s off its clock (it sent no Date header to measure the "
                                 "offset): synchronise the system clock (NTP). " +
                                 what);
        }
        case 8:
            return Error::config(what + ": the platform rejected API version " +
                                 std::string(kApiVersion));
        case 4:
        case 5:
        case 99:
        case 1064:
            return Error::transient(what + ": platform-side error");
        case 100:
            if (contains(message, kRateLimitCalls) || contains(message, kRateLimitConcurrency) ||
                contains(message, "超过每分钟")) {
                return Error::rate_limited(what, std::chrono::milliseconds{1000});
            }
            if (contains(message, "权限不足")) {
                return Error::config(what + ": the API is not granted to this app key");
            }
            return Error::config(what + ": the platform refused the call");
        default:
            return Error::bad_response(what + ": unknown status");
    }
}

Result<json> read_envelope(const HttpResponse& response, std::int64_t received_unix) {
    if (response.status == 429) {
        return Error::rate_limited("wangdiantong answered HTTP 429",
                                   std::chrono::milliseconds{1000});
    }
    if (response.status >= 500) {
        return Error::transient("wangdiantong answered HTTP " + std::to_string(response.status));
    }
    if (response.status == 404) {
        return Error::config(
            "wangdiantong answered HTTP 404: is base_url right (the API lives at "
            "<base_url>/openapi)?");
    }
    if (response.status < 200 || response.status >= 300) {
        return Error::bad_response("wangdiantong answered HTTP " + std::to_string(response.status));
    }
    auto fast = parse_exact_fast(response.body);
    Result<json> parsed = fast ? Result<json>(std::move(*fast)) : parse_json_exact(response.body);
    if (!parsed.ok()) return Error::bad_response("wangdiantong: " + parsed.error().message);
    json& doc = *parsed;
    if (!doc.is_object()) {
        return Error::bad_response("wangdiantong: the answer is not a JSON object");
    }
    auto status = json_int(doc, "status");
    if (!status) {
        return Error::bad_response("wangdiantong: the answer has no integer 'status'");
    }
    if (*status != 0) {
        std::string message = json_text(doc, "message").value_or("");
        std::optional<std::int64_t> offset;
        if (*status == 7) {
            if (auto date = parse_http_date(response.header("Date"))) {
                offset = *date - received_unix;
            }
        }
        return classify_status(*status, message, offset);
    }
    auto it = doc.find("data");
    return it == doc.end() ? json(nullptr) : std::move(*it);  // a page of records: not copied
}

void ObjectWriter::quoted(std::string_view v) {
    // Printable ASCII needs no escape; anything else is escaped exactly as json::dump does.
    if (std::all_of(v.begin(), v.end(),
                    [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; })) {
        text_ += '"';
        text_ += v;
        text_ += '"';
        return;
    }
    text_ += json(std::string(v)).dump();
}

void ObjectWriter::key(std::string_view k) {
    if (!first_) text_ += ',';
    first_ = false;
    quoted(k);
    text_ += ':';
}

ObjectWriter& ObjectWriter::raw(std::string_view k, std::string_view literal) {
    key(k);
    text_ += literal;
    return *this;
}

ObjectWriter& ObjectWriter::str(std::string_view k, std::string_view v) {
    key(k);
    quoted(v);
    return *this;
}

ObjectWriter& ObjectWriter::num(std::string_view k, std::int64_t v) {
    return raw(k, std::to_string(v));
}

ObjectWriter& ObjectWriter::value(std::string_view k, const json& v) {
    key(k);
    text_ += v.dump();
    return *this;
}

ObjectWriter& ObjectWriter::number_from(std::string_view k, const json* v) {
    if (v == nullptr || v->is_null()) return *this;
    if (v->is_string()) {
        const auto& s = v->get_ref<const std::string&>();
        // Exact-parsed decimals arrive as their literal text: send them back as numbers.
        if (is_json_number_literal(s)) return raw(k, s);
    }
    return value(k, *v);
}

}  // namespace csync::wangdiantong
