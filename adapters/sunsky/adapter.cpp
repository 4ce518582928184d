#include "sunsky/adapter.hpp"
#include "core/platform_call.hpp"

#include <algorithm>
#include <chrono>
#include <utility>
#include <variant>

#include "log/log.hpp"
#include "sunsky/mapping.hpp"
#include "sunsky/watermark.hpp"

namespace csync::sunsky {
namespace {

using boost::asio::awaitable;
using nlohmann::json;

std::string credential(const AccountConfig& account, const char* name) {
    auto it = account.credentials.find(name);
    return it == account.credentials.end() ? std::string() : it->second;
}

// The stream option `modified_since`: where a first cycle starts. A malformed value fails
// every fetch with a config error rather than silently syncing from another date.
Result<LocalTime> modified_since(const StreamConfig& stream) {
    auto it = stream.options.find("modified_since");
    const std::string text =
        it == stream.options.end() || it->second.empty() ? kDefaultModifiedSince : it->second;
    if (auto t = parse_time(text)) return *t;
    return Error::config("stream " + stream.name + ": option modified_since '" + text +
                         "' is not MM/dd/yyyy HH:mm:ss");
}

// The stream option `lookback` (milliseconds, see OptionSpec): how far before its stored T0 each
// cycle starts reading. The platform stamps gmtModified when a write begins; a write that becomes
// visible later than a cycle that already passed its stamp would otherwise be missed for good.
// Records read again unchanged cost only last_seen_at.
std::chrono::seconds lookback(const StreamConfig& stream) {
    // Whole seconds, rounded up: the platform's times have no fraction.
    const auto ms = stream.duration_option("lookback").value_or(std::chrono::milliseconds{0});
    return std::chrono::ceil<std::chrono::seconds>(std::max(ms, std::chrono::milliseconds{0}));
}

// One signed call: request, transport, envelope. Shared by both streams.
class Caller {
  public:
    Caller(const AdapterDeps& deps, Credentials credentials)
        : deps_(deps), credentials_(std::move(credentials)) {}

    awaitable<Result<json>> call(std::string method, Params params) {
        PlatformCall steps;
        steps.build = [&](const std::string&) -> Result<HttpRequest> {
            auto request = build_request(deps_.account.base_url, method, params, credentials_,
                                         deps_.account.name);
            if (request.ok()) request->timeout = deps_.account.request_timeout;
            return request;
        };
        steps.read = [this](const HttpResponse& response) {
            return parse_envelope(response, deps_.clock.now());
        };
        std::int64_t sent = 0;  // the streams count their calls themselves
        co_return co_await call_platform(deps_.http, nullptr, steps, sent);
    }

    const AdapterDeps& deps() const { return deps_; }

  private:
    AdapterDeps deps_;
    Credentials credentials_;
};

class ProductsStream final : public StreamSync {
  public:
    ProductsStream(const AdapterDeps& deps, Credentials credentials, const StreamConfig& stream)
        : caller_(deps, std::move(credentials)),
          page_size_(
              std::clamp(stream.page_size > 0 ? stream.page_size : kMaxPageSize, 1, kMaxPageSize)),
          initial_t0_(modified_since(stream)),
          lookback_(lookback(stream)),
          logger_(log::root().with("account", deps.account.name).with("stream", stream.name)) {}

    awaitable<Result<Page>> fetch_page(const json& cursor) override {
        if (!initial_t0_.ok()) co_return initial_t0_.error();
        auto parsed = ProductsCursor::from_json(cursor, *initial_t0_);
        if (!parsed.ok()) co_return std::move(parsed).error();
        ProductsCursor at = *parsed;
        const AdapterDeps& deps = caller_.deps();
        // A cycle's first page (a committed cursor without a cycle start) reaches back by the
        // lookback; within a cycle the cursor is followed exactly.
        if (!at.cycle_start && at.phase == ProductsCursor::Phase::forward && at.page == 1) {
            at.t0 -= lookback_;
        }
        // The cycle's start is when THIS process began the cycle: a cursor committed by an
        // earlier process (killed, or a failed cycle) carries an older start, and ending at it
        // would leave out what changed since. Only ever moving the start later is safe: it
        // decides when a cycle ends, never what it reads.
        if (!cycle_start_) {
            cycle_start_ = deps.zone.to_local(
                std::chrono::time_point_cast<std::chrono::seconds>(deps.clock.now()));
        }
        if (!at.cycle_start || *at.cycle_start < *cycle_start_) at.cycle_start = cycle_start_;
        Params params = {{"gmtModifiedStart", format_time(at.t0)},
                         {"page", std::to_string(at.page)},
                         {"pageSize", std::to_string(page_size_)}};
        // Arguments are named before co_await (GCC 12 and temporaries in co_await expressions).
        std::string method = "product!search";
        auto data = co_await caller_.call(std::move(method), std::move(params));
        if (!data.ok()) {
            cycle_start_.reset();  // a failed cycle's successor starts afresh
            co_return std::move(data).error();
        }
        auto search = parse_search_page(*data);
        if (!search.ok()) {
            cycle_start_.reset();
            co_return std::move(search).error();
        }

        Page page;
        page.requests = 1;
        PageSeen seen;
        seen.rows = search->rows.size();
        seen.page_count = search->page_count;
        for (const json& row : search->rows) {
            if (auto t = modified_time(row); t && (!seen.max_modified || *t > *seen.max_modified)) {
                seen.max_modified = *t;
            }
            auto mapped = map_product(row, deps.zone);
            if (auto* p = std::get_if<Product>(&mapped)) {
                page.records.products.push_back(std::move(*p));
            } else {
                page.records.dead_letters.push_back(std::get<DeadLetter>(std::move(mapped)));
            }
        }
        WatermarkStep step = next_step(at, seen);
        page.next_cursor = step.next.to_json();
        page.cycle_done = step.cycle_done;
        if (step.cycle_done) cycle_start_.reset();  // the next call begins the next cycle
        logger_.debug("product!search t0={} page={} {}: {} rows of {} pages", format_time(at.t0),
                      at.page, at.phase == ProductsCursor::Phase::forward ? "forward" : "backward",
                      seen.rows, seen.page_count);
        co_return page;
    }

  private:
    Caller caller_;
    int page_size_;
    Result<LocalTime> initial_t0_;
    std::chrono::seconds lookback_;
    log::Logger logger_;
    std::optional<LocalTime> cycle_start_;  // platform local time; set by a cycle's first call
};

// category!getChildren.do returns every category changed since gmtModifiedStart in one array
// (no paging), so one call is one cycle. The cursor is {"t0": max gmtModified seen}; the bound
// is inclusive, so the categories at t0 come back next time and are upserted unchanged.
class CategoriesStream final : public StreamSync {
  public:
    CategoriesStream(const AdapterDeps& deps, Credentials credentials, const StreamConfig& stream)
        : caller_(deps, std::move(credentials)),
          initial_t0_(modified_since(stream)),
          lookback_(lookback(stream)) {}

    awaitable<Result<Page>> fetch_page(const json& cursor) override {
        if (!initial_t0_.ok()) co_return initial_t0_.error();
        LocalTime t0 = *initial_t0_;
        if (!cursor.is_null()) {
            auto text = cursor.is_object() && cursor.contains("t0") && cursor["t0"].is_string()
                            ? parse_time(cursor["t0"].get<std::string>())
                            : std::nullopt;
            if (!text) co_return Error::config("categories cursor is malformed: " + cursor.dump());
            t0 = *text;
        }
        const AdapterDeps& deps = caller_.deps();
        // The query reaches back by the lookback; the cursor never moves back.
        Params params{{"gmtModifiedStart", format_time(t0 - lookback_)}};
        std::string method = "category!getChildren";
        auto data = co_await caller_.call(std::move(method), std::move(params));
        if (!data.ok()) co_return std::move(data).error();
        if (!data->is_array()) {
            co_return Error::bad_response("category!getChildren: 'data' is not an array");
        }
        Page page;
        page.requests = 1;
        LocalTime next = t0;
        for (const json& row : *data) {
            if (auto t = modified_time(row); t && *t > next) next = *t;
            auto mapped = map_category(row, deps.zone);
            if (auto* c = std::get_if<Category>(&mapped)) {
                page.records.categories.push_back(std::move(*c));
            } else {
                page.records.dead_letters.push_back(std::get<DeadLetter>(std::move(mapped)));
            }
        }
        page.next_cursor = json{{"t0", format_time(next)}};
        page.cycle_done = true;
        co_return page;
    }

  private:
    Caller caller_;
    Result<LocalTime> initial_t0_;
    std::chrono::seconds lookback_;
};

}  // namespace

const PlatformSpec& platform_spec() {
    static const PlatformSpec spec = [] {
        PlatformSpec s;
        s.name = "sunsky";
        s.default_base_url = "https://open.sunsky-online.com";
        s.default_timezone = "Asia/Shanghai";
        s.required_credentials = {"key", "secret"};
        const OptionSpec since{"modified_since", OptionType::string, kDefaultModifiedSince,
                               "gmtModifiedStart of the very first cycle (MM/dd/yyyy HH:mm:ss)"};
        const OptionSpec reach_back{
            "lookback", OptionType::duration, "",
            "each cycle starts this long before its stored gmtModified watermark, to pick up "
            "writes the platform made visible after their timestamp (none by default)"};
        StreamSpec products;
        products.name = kProductsStream;
        products.default_interval = std::chrono::seconds{300};
        products.default_page_size = kMaxPageSize;
        products.max_page_size = kMaxPageSize;
        products.options = {since, reach_back};
        StreamSpec categories;
        categories.name = kCategoriesStream;
        categories.default_interval = std::chrono::seconds{6 * 3600};
        categories.options = {since, reach_back};
        s.streams = {products, categories};
        return s;
    }();
    return spec;
}

SunskyAdapter::SunskyAdapter(AdapterDeps deps)
    : deps_(deps),
      credentials_{credential(deps.account, "key"), credential(deps.account, "secret")} {}

StreamSyncPtr SunskyAdapter::make_stream(const StreamConfig& stream) {
    if (stream.name == kCategoriesStream) {
        return std::make_unique<CategoriesStream>(deps_, credentials_, stream);
    }
    return std::make_unique<ProductsStream>(deps_, credentials_, stream);
}

Result<HttpRequest> SunskyAdapter::build_raw_call(const RawCall& call) const {
    if (call.body) {
        return Error::config("sunsky takes form parameters only; pass them with -p NAME=VALUE");
    }
    if (call.method.empty())
        return Error::config("a Sunsky method name is needed, e.g. product!search");
    Params params(call.params.begin(), call.params.end());
    auto request = build_request(deps_.account.base_url, call.method, params, credentials_,
                                 deps_.account.name);
    if (request.ok()) request->timeout = deps_.account.request_timeout;
    return request;
}

Status SunskyAdapter::read_raw_response(const HttpResponse& response) const {
    auto data = parse_envelope(response, deps_.clock.now());
    if (!data.ok()) return data.error();
    return {};
}

std::vector<std::string> SunskyAdapter::secret_values() const {
    std::vector<std::string> out;
    if (!credentials_.secret.empty()) out.push_back(credentials_.secret);
    if (!credentials_.key.empty()) out.push_back(credentials_.key);
    return out;
}

}  // namespace csync::sunsky
