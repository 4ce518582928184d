#include "sunsky/adapter.hpp"
#include "core/platform_call.hpp"

#include <algorithm>
#include <chrono>
#include <utility>
#include <variant>

#include "log/log.hpp"
#include "sunsky/account.hpp"
#include "sunsky/caller.hpp"
#include "sunsky/images.hpp"
#include "sunsky/mapping.hpp"
#include "sunsky/orders.hpp"
#include "sunsky/product_page.hpp"
#include "sunsky/watermark_loop.hpp"

namespace csync::sunsky {
namespace {

using boost::asio::awaitable;
using nlohmann::json;

std::string credential(const AccountConfig& account, const char* name) {
    auto it = account.credentials.find(name);
    return it == account.credentials.end() ? std::string() : it->second;
}

constexpr const char* kKeepUnknownStatus = "keep_unknown_status";

bool keeps_unknown_status(const StreamConfig& stream) {
    auto it = stream.options.find(kKeepUnknownStatus);
    return it != stream.options.end() && it->second == "true";
}

class ProductsStream final : public StreamSync {
  public:
    ProductsStream(const AdapterDeps& deps, Credentials credentials, const StreamConfig& stream)
        : caller_(deps, std::move(credentials)),
          loop_(caller_, "product!search", stream,
                std::clamp(stream.page_size > 0 ? stream.page_size : kMaxPageSize, 1, kMaxPageSize),
                log::root().with("account", deps.account.name).with("stream", stream.name)),
          keep_unknown_status_(keeps_unknown_status(stream)) {}

    awaitable<Result<Page>> fetch_page(const json& cursor) override {
        ProductPage read;
        const AdapterDeps& deps = caller_.deps();
        // Named arguments: GCC 12 destroys a braced temporary coroutine argument twice.
        WatermarkLoop::PageReader read_page =
            [&](const HttpResponse& response) -> Result<PageSeen> {
            Status status =
                reader_.read(response, deps.zone, deps.clock.now(), read, keep_unknown_status_);
            if (!status.ok()) return std::move(status).error();
            return read.seen;
        };
        Params no_extra;
        auto listed = co_await loop_.next_read(cursor, std::move(no_extra), std::move(read_page));
        if (!listed.ok()) co_return failed_fetch(std::move(listed).error(), caller_.take_sent());
        Page page;
        page.records.products = std::move(read.products);
        page.records.dead_letters = std::move(read.dead_letters);
        page.next_cursor = std::move(listed->next_cursor);
        page.cycle_done = listed->cycle_done;
        page.requests = caller_.take_sent();
        co_return page;
    }

    // The next request names only the cursor (no acknowledgements): fetched while a page commits.
    bool fetches_ahead_of_commit() const override { return true; }

    // Nothing to acknowledge: the committed products go back to the reader for the next page.
    awaitable<Status> after_commit(Page& page) override {
        reader_.recycle(std::move(page.records.products));
        co_return Status{};
    }

    std::optional<UtcTime> watermark(const json& cursor) const override {
        return loop_.watermark(cursor);
    }

  private:
    Caller caller_;
    WatermarkLoop loop_;
    ProductPageReader reader_;  // its buffers serve every page
    bool keep_unknown_status_;
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
        if (!initial_t0_.ok()) co_return failed_fetch(initial_t0_.error(), caller_.take_sent());
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
        if (!data.ok()) co_return failed_fetch(std::move(data).error(), caller_.take_sent());
        if (!data->is_array()) {
            co_return failed_fetch(
                Error::bad_response("category!getChildren: 'data' is not an array"),
                caller_.take_sent());
        }
        Page page;
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
        page.requests = caller_.take_sent();
        co_return page;
    }

    std::optional<UtcTime> watermark(const json& cursor) const override {
        if (!cursor.is_object() || !cursor.contains("t0") || !cursor["t0"].is_string()) {
            return std::nullopt;
        }
        auto t0 = parse_time(cursor["t0"].get<std::string>());
        if (!t0) return std::nullopt;
        return caller_.deps().zone.to_utc(*t0);
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
        products.options = {
            since, reach_back,
            OptionSpec{kKeepUnknownStatus, OptionType::boolean, "false",
                       "store a product whose status code the platform's documentation does not "
                       "list as inactive (the code kept in platform_status) instead of parking it "
                       "as a dead letter"}};
        StreamSpec categories;
        categories.name = kCategoriesStream;
        categories.default_interval = std::chrono::seconds{6 * 3600};
        categories.options = {since, reach_back};
        StreamSpec orders;
        orders.name = kOrdersStream;
        orders.default_interval = std::chrono::seconds{600};
        orders.default_page_size = kMaxPageSize;
        orders.max_page_size = kMaxPageSize;
        orders.options = orders_options();
        StreamSpec images;
        images.name = kImagesStream;
        images.default_interval = std::chrono::seconds{3600};
        images.default_page_size = kMaxPageSize;
        images.max_page_size = kMaxPageSize;
        images.options = {since, reach_back};
        for (OptionSpec& o : images_options()) images.options.push_back(std::move(o));
        StreamSpec account;
        account.name = kAccountStream;
        account.default_interval = std::chrono::seconds{3600};
        account.options = account_options();
        StreamSpec countries;
        countries.name = kCountriesStream;
        countries.default_interval = std::chrono::seconds{24 * 3600};
        s.streams = {products, categories, orders, images, account, countries};
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
    if (stream.name == kOrdersStream) return make_orders_stream(deps_, credentials_, stream);
    if (stream.name == kImagesStream) return make_images_stream(deps_, credentials_, stream);
    if (stream.name == kAccountStream) return make_account_stream(deps_, credentials_, stream);
    if (stream.name == kCountriesStream) return make_countries_stream(deps_, credentials_);
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

Result<PageRecords> SunskyAdapter::remap_dead_letter(const std::string& stream,
                                                     const std::string& payload) const {
    const std::string reset = "`commerce-syncd reset-cursor " + deps_.account.name + " ";
    if (stream == kImagesStream) {
        return Error::config(
            "sunsky image letters hold the item's change-list row, not its archive: retrying "
            "needs a new download, which the images stream makes when the item changes again (or "
            "for every item after " +
            reset + kImagesStream + "`)");
    }
    if (stream == kAccountStream) {
        return Error::config(
            "sunsky ledger letters cannot be re-mapped alone: identical bills are numbered within "
            "their day's list, so the account stream must read the day again (" +
            reset + kAccountStream + "` re-reads its window)");
    }
    const json record = json::parse(payload, nullptr, /*allow_exceptions=*/false);
    if (record.is_discarded()) {
        return Error::config("the letter's payload is not JSON, so no mapping can read it");
    }
    PageRecords out;
    const auto take = [&out](auto mapped, auto& into) {
        using Record = typename std::decay_t<decltype(into)>::value_type;
        if (auto* r = std::get_if<Record>(&mapped)) {
            into.push_back(std::move(*r));
        } else {
            out.dead_letters.push_back(std::get<DeadLetter>(std::move(mapped)));
        }
    };
    if (stream == kProductsStream) {
        const StreamConfig* configured = deps_.account.find_stream(kProductsStream);
        const bool keep = configured && keeps_unknown_status(*configured);
        auto mapped = map_product(record, deps_.zone, keep);
        // The letter holds the record as the products reader read it (the platform's bytes, or
        // their compact form where the whole page was read as a document), which is what that
        // reader keeps as raw_json: the next read of the record then changes nothing.
        if (auto* product = std::get_if<Product>(&mapped)) product->raw_json = payload;
        take(std::move(mapped), out.products);
    } else if (stream == kCategoriesStream) {
        take(map_category(record, deps_.zone), out.categories);
    } else if (stream == kCountriesStream) {
        take(map_country(record), out.countries);
    } else if (stream == kOrdersStream) {
        // A list row (its details were never read) would store an order without its lines.
        if (!record.is_object() || !record.contains("detailList")) {
            return Error::config(
                "this sunsky order letter holds the order's list row, not its details: the "
                "orders stream reads the details again while the order's day window is re-read "
                "(today's every cycle; older ones after " +
                reset + kOrdersStream + "`)");
        }
        take(map_order(record, deps_.zone), out.orders);
    } else {
        return PlatformAdapter::remap_dead_letter(stream, payload);
    }
    return out;
}

std::vector<std::string> SunskyAdapter::secret_values() const {
    std::vector<std::string> out;
    if (!credentials_.secret.empty()) out.push_back(credentials_.secret);
    if (!credentials_.key.empty()) out.push_back(credentials_.key);
    return out;
}

}  // namespace csync::sunsky
