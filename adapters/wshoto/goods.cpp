#include "wshoto/goods.hpp"

#include <algorithm>
#include <utility>

#include "core/json_util.hpp"
#include "wshoto/adapter.hpp"
#include "wshoto/wire.hpp"

namespace csync::wshoto {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

struct GoodsCursor {
    std::int64_t pass = 0;
    UtcTime pass_start{};
    std::string phase = "done";  // list | delete | done
    std::int64_t page = 1;
    std::int64_t rows = 0;
    std::int64_t total = -1;
    bool stable = true;

    json to_json() const {
        return json{{"pass", pass},    {"pass_start", format_utc_iso(pass_start)},
                    {"phase", phase},  {"page", page},
                    {"rows", rows},    {"total", total},
                    {"stable", stable}};
    }

    static Result<GoodsCursor> from_json(const json& j) {
        GoodsCursor c;
        if (j.is_null()) return c;
        auto bad = [&](const std::string& why) {
            return Error::config("the goods cursor is not one this version wrote (" + why +
                                 "): reset it with `commerce-syncd reset-cursor ACCOUNT goods`");
        };
        if (!j.is_object()) return bad("not an object");
        c.phase = json_text(j, "phase").value_or("");
        if (c.phase != "list" && c.phase != "delete" && c.phase != "done") {
            return bad("unknown phase");
        }
        c.pass = json_int(j, "pass").value_or(0);
        auto start = parse_utc_iso(json_text(j, "pass_start").value_or(""));
        if (!start && c.phase != "done") return bad("no pass_start");
        if (start) c.pass_start = *start;
        c.page = std::max<std::int64_t>(1, json_int(j, "page").value_or(1));
        c.rows = json_int(j, "rows").value_or(0);
        c.total = json_int(j, "total").value_or(-1);
        c.stable = json_bool(j, "stable").value_or(false);
        return c;
    }
};

class GoodsStream final : public StreamSync {
  public:
    GoodsStream(std::shared_ptr<Client> client, AdapterStore* store, Clock& clock, int page_size,
                Result<MoneyUnit> unit, log::Logger logger)
        : client_(std::move(client)),
          store_(store),
          clock_(clock),
          page_size_(page_size),
          unit_(std::move(unit)),
          logger_(std::move(logger)) {}

    asio::awaitable<Result<Page>> fetch_page(const json& cursor) override {
        if (!unit_.ok()) co_return unit_.error();
        auto parsed = GoodsCursor::from_json(cursor);
        if (!parsed.ok()) co_return parsed.error();
        GoodsCursor c = std::move(*parsed);
        Page page;
        if (c.phase == "done") {
            GoodsCursor next;
            next.pass = c.pass + 1;
            // Whole seconds, as the store stamps last_seen_at.
            next.pass_start = std::chrono::floor<std::chrono::seconds>(clock_.now());
            next.phase = "list";
            c = next;
            logger_.info("goods pass {} starts", c.pass);
        }
        // Not `cond ? co_await a : co_await b`: GCC 12 destroys the chosen result twice.
        Status st;
        if (c.phase == "list") {
            st = co_await list_page(c, page);
        } else {
            st = co_await delete_page(c, page);
        }
        if (!st.ok()) co_return failed_fetch(st.error(), page.requests);
        page.next_cursor = c.to_json();
        co_return page;
    }

  private:
    asio::awaitable<Status> list_page(GoodsCursor& c, Page& page) {
        json body{{"page", c.page}, {"size", page_size_}};
        auto data = co_await client_->call(kGoodsListPath, std::move(body), page.requests);
        if (!data.ok()) co_return data.error();
        auto listed = read_numbered_page(*data, "goods");
        if (!listed.ok()) co_return listed.error();
        const json& records = listed->records;
        const std::int64_t total = listed->total;
        for (const json& record : records) {
            auto mapped = map_goods(record, *unit_);
            if (auto* letter = std::get_if<DeadLetter>(&mapped)) {
                page.records.dead_letters.push_back(std::move(*letter));
            } else {
                page.records.products.push_back(std::get<Product>(std::move(mapped)));
            }
        }
        if (c.page == 1) {
            c.total = total;
        } else if (total != c.total) {
            c.stable = false;
        }
        c.rows += static_cast<std::int64_t>(records.size());
        if (!records.empty() && !(c.total >= 0 && c.rows >= c.total)) {
            ++c.page;
            co_return Status{};
        }
        const bool complete = c.total < 0 || c.rows == c.total;
        if (store_ && c.stable && complete) {
            logger_.info("goods pass {}: {} rows listed; removing goods not seen", c.pass, c.rows);
            c.phase = "delete";
        } else {
            if (store_) {
                logger_.warn(
                    "goods pass {}: the listing changed while it was read (total {} at first, "
                    "{} rows read); no goods are deleted in this pass",
                    c.pass, c.total, c.rows);
            }
            finish(c, page);
        }
        co_return Status{};
    }

    asio::awaitable<Status> delete_page(GoodsCursor& c, Page& page) {
        auto unseen = co_await store_->unseen_since("product", kGoodsScope, c.pass_start,
                                                    kGoodsDeletesPerPage);
        if (!unseen.ok()) co_return unseen.error();
        for (std::string& id : *unseen) page.records.deleted_product_ids.push_back(std::move(id));
        if (unseen->size() < kGoodsDeletesPerPage) finish(c, page);
        co_return Status{};
    }

    void finish(GoodsCursor& c, Page& page) {
        logger_.info("goods pass {} complete", c.pass);
        c.phase = "done";
        page.cycle_done = true;
    }

    std::shared_ptr<Client> client_;
    AdapterStore* store_;
    Clock& clock_;
    int page_size_;
    Result<MoneyUnit> unit_;
    log::Logger logger_;
};

}  // namespace

std::vector<OptionSpec> goods_options() {
    return {{"unit", OptionType::string, "fen",
             "money unit of the goods price: fen (integer minor units, the notes' reading) or "
             "yuan"}};
}

std::variant<Product, DeadLetter> map_goods(const json& record, MoneyUnit unit) {
    const auto id = record.is_object() ? json_scalar_text(record.value("id", json()))
                                       : std::optional<std::string>{};
    if (!id || id->empty()) return DeadLetter{"", record.dump(), "goods record without id"};
    Product p;
    p.external_id = "goods:" + *id;
    p.title = json_text(record, "goods_name").value_or("");
    p.price = money_field(record, "price", unit);
    if (p.price) p.currency = "CNY";
    p.stock = json_int(record, "stock_num");
    const std::string status = json_text(record, "up_status").value_or("");
    p.platform_status = status;
    p.status = status == "1"    ? ProductStatus::active
               : status == "11" ? ProductStatus::out_of_stock
                                : ProductStatus::inactive;
    p.scope = kGoodsScope;
    p.raw_json = record.dump();
    return p;
}

StreamSyncPtr make_goods_stream(std::shared_ptr<Client> client, AdapterStore* store, Clock& clock,
                                const StreamConfig& stream, log::Logger logger) {
    const int page_size =
        stream.page_size > 0 ? std::min(stream.page_size, kMaxPageSize) : kMaxPageSize;
    Result<MoneyUnit> unit = MoneyUnit::fen;
    if (auto it = stream.options.find("unit"); it != stream.options.end()) {
        unit = parse_money_unit(it->second, "unit");
    }
    return std::make_unique<GoodsStream>(std::move(client), store, clock, page_size,
                                         std::move(unit), std::move(logger));
}

}  // namespace csync::wshoto
