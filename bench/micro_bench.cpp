// Google Benchmark micro-benchmarks of the per-record hot path: the signers, the page readers
// (bytes/s) and the store's page apply (rows/s for new, changed and unchanged rows). They print
// figures and assert nothing; not run in CI.
//
//   build/release/bench/micro_bench [--benchmark_filter=REGEX]

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <variant>

#include <benchmark/benchmark.h>

#include "core/json_util.hpp"
#include "core/system_clock.hpp"
#include "hot_pages.hpp"
#include "qianmi/item_page.hpp"
#include "qianmi/signer.hpp"
#include "store/sqlite_store.hpp"
#include "sunsky/mapping.hpp"
#include "sunsky/product_page.hpp"
#include "sunsky/signer.hpp"
#include "sunsky/sim_call.hpp"
#include "wangdiantong/stock_stream.hpp"
#include "wangdiantong/wait_list_page.hpp"
#include "wangdiantong/wire.hpp"
#include "wshoto/product_page.hpp"

namespace {

using namespace csync;

const sunsky::Credentials kSunskyCreds{"bench-key", "bench-secret"};
const auto kNow = std::chrono::system_clock::time_point{std::chrono::seconds{1'717'243'200}};

TimeZone shanghai() { return *TimeZone::from_name("Asia/Shanghai"); }

// One product!search.do answer of 100 products from the simulator, as the daemon receives it.
const HttpResponse& sunsky_page() {
    static const HttpResponse page = [] {
        SimOptions o;
        o.seed = 3;
        o.products = 1000;
        o.credentials = {{"key", kSunskyCreds.key}, {"secret", kSunskyCreds.secret}};
        o.now = [] { return kNow; };
        sunsky::SunskySimulator sim(o);
        return sunsky::testing::raw_call(
            sim, "product!search",
            {{"gmtModifiedStart", "01/01/2000 00:00:00"}, {"page", "2"}, {"pageSize", "100"}},
            kSunskyCreds);
    }();
    return page;
}

void BM_SignSunsky(benchmark::State& state) {
    const sunsky::Params params{{"key", "bench-key"},
                                {"gmtModifiedStart", "10/31/2013 01:23:20"},
                                {"page", "17"},
                                {"pageSize", "100"}};
    for (auto _ : state) benchmark::DoNotOptimize(sunsky::SunskySigner::sign(params, "secret"));
}
BENCHMARK(BM_SignSunsky);

void BM_SignQianmi(benchmark::State& state) {
    const qianmi::Params params{{"appKey", "bench-app"},
                                {"method", "qianmi.elife.goods.list"},
                                {"timestamp", "2024-01-02 03:04:05"},
                                {"v", "1.1"},
                                {"format", "json"},
                                {"accessToken", "bench-access-token"},
                                {"pageNo", "17"},
                                {"pageSize", "50"}};
    for (auto _ : state) benchmark::DoNotOptimize(qianmi::QianmiSigner::sign(params, "secret"));
}
BENCHMARK(BM_SignQianmi);

void BM_SignWangdiantong(benchmark::State& state) {
    const std::map<std::string, std::string> params{
        {"sid", "bench-sid"},        {"key", "bench-key"}, {"method", "wms.StockSpec.search"},
        {"timestamp", "1717243200"}, {"v", "1.0"},         {"salt", "bench-salt"},
        {"page_no", "17"},           {"page_size", "500"}};
    const std::string body =
        R"({"start_time":"2024-06-01 00:00:00","end_time":"2024-06-01 01:00:00"})";
    for (auto _ : state) benchmark::DoNotOptimize(wangdiantong::sign("secret", params, body));
}
BENCHMARK(BM_SignWangdiantong);

// The products hot path: simdjson on demand straight into Products, raw bytes kept.
void BM_SunskyPageFast(benchmark::State& state) {
    const HttpResponse& response = sunsky_page();
    const TimeZone zone = shanghai();
    sunsky::ProductPageReader reader;
    sunsky::ProductPage page;
    for (auto _ : state) {
        if (!reader.read(response, zone, kNow, page).ok() || !page.fast) {
            state.SkipWithError("the page did not take the fast path");
            break;
        }
        benchmark::DoNotOptimize(page.products.data());
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(response.body.size()));
    state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_SunskyPageFast);

// The general path (what every page took before): nlohmann DOM, rows copied, mapped, dumped.
void BM_SunskyPageGeneral(benchmark::State& state) {
    const HttpResponse& response = sunsky_page();
    const TimeZone zone = shanghai();
    for (auto _ : state) {
        auto data = sunsky::parse_envelope(response, kNow);
        auto page = sunsky::parse_search_page(*data);
        std::vector<Product> products;
        for (const auto& row : page->rows) {
            auto mapped = sunsky::map_product(row, zone);
            if (auto* p = std::get_if<Product>(&mapped)) products.push_back(std::move(*p));
        }
        benchmark::DoNotOptimize(products.data());
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(response.body.size()));
    state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_SunskyPageGeneral);

// The reader the other adapters' envelopes go through (Wangdiantong, Qianmi, Wshoto all call
// parse_json_exact on the body and walk the DOM), on the same bytes.
void BM_JsonExactParse(benchmark::State& state) {
    const HttpResponse& response = sunsky_page();
    for (auto _ : state) benchmark::DoNotOptimize(parse_json_exact(response.body));
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(response.body.size()));
}
BENCHMARK(BM_JsonExactParse);

// ---- the other platforms' page readers: fast (simdjson on demand) beside the general path
// (parse_json_exact, DOM walk, mapping with dump()) on the same simulator answers ----

namespace hot = csync::testing::hot_pages;

void set_bytes(benchmark::State& state, const HttpResponse& response, std::int64_t rows) {
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(response.body.size()));
    state.SetItemsProcessed(state.iterations() * rows);
}

struct QianmiPages {
    HttpResponse listing;  // items.all.list, 50 rows of num_iid,modified
    HttpResponse batch;    // items.list.get of those 50 ids
    qianmi::ModifiedById modified;
};

const QianmiPages& qianmi_pages() {
    static const QianmiPages pages = [] {
        hot::Qianmi platform;
        QianmiPages p;
        p.listing = platform.listing(2);
        auto listed =
            qianmi::read_listing(*qianmi::read_envelope(p.listing, qianmi::kItemsAllList));
        std::vector<std::string> ids;
        for (const auto& e : listed->entries) {
            ids.push_back(e.num_iid);
            p.modified.emplace(e.num_iid, e.modified);
        }
        p.batch = platform.batch(ids);
        return p;
    }();
    return pages;
}

void BM_QianmiListingFast(benchmark::State& state) {
    const QianmiPages& pages = qianmi_pages();
    qianmi::ItemPageReader reader;
    for (auto _ : state) {
        auto page = reader.read_listing(pages.listing);
        if (!page.ok() || !reader.fast()) {
            state.SkipWithError("the page did not take the fast path");
            break;
        }
        benchmark::DoNotOptimize(page->entries.data());
    }
    set_bytes(state, pages.listing, 50);
}
BENCHMARK(BM_QianmiListingFast);

void BM_QianmiListingGeneral(benchmark::State& state) {
    const QianmiPages& pages = qianmi_pages();
    for (auto _ : state) {
        auto body = qianmi::read_envelope(pages.listing, qianmi::kItemsAllList);
        auto page = qianmi::read_listing(*body);
        benchmark::DoNotOptimize(page->entries.data());
    }
    set_bytes(state, pages.listing, 50);
}
BENCHMARK(BM_QianmiListingGeneral);

void BM_QianmiBatchFast(benchmark::State& state) {
    const QianmiPages& pages = qianmi_pages();
    qianmi::ItemPageReader reader;
    std::vector<qianmi::BatchRow> rows;
    for (auto _ : state) {
        if (!reader.read_batch(pages.batch, pages.modified, rows).ok() || !reader.fast()) {
            state.SkipWithError("the page did not take the fast path");
            break;
        }
        benchmark::DoNotOptimize(rows.data());
    }
    set_bytes(state, pages.batch, 50);
}
BENCHMARK(BM_QianmiBatchFast);

void BM_QianmiBatchGeneral(benchmark::State& state) {
    const QianmiPages& pages = qianmi_pages();
    for (auto _ : state) {
        auto body = qianmi::read_envelope(pages.batch, qianmi::kItemsListGet);
        auto rows = qianmi::read_batch(*body);
        std::vector<std::variant<qianmi::MappedProduct, DeadLetter>> mapped;
        for (const auto& row : *rows) {
            auto m = pages.modified.find(json_text(row, "num_iid").value_or(""));
            if (m != pages.modified.end()) mapped.push_back(qianmi::map_item(row, m->second));
        }
        benchmark::DoNotOptimize(mapped.data());
    }
    set_bytes(state, pages.batch, 50);
}
BENCHMARK(BM_QianmiBatchGeneral);

// page_query_product_library_info_list, 100 records.
const HttpResponse& wshoto_page() {
    static const HttpResponse page = hot::Wshoto(1000).products(7);
    return page;
}

void BM_WshotoProductsFast(benchmark::State& state) {
    const wshoto::ErrorCodes codes;
    wshoto::ProductPageReader reader;
    wshoto::ProductPage page;
    for (auto _ : state) {
        if (!reader.read(wshoto_page(), codes, page).ok() || !reader.fast()) {
            state.SkipWithError("the page did not take the fast path");
            break;
        }
        benchmark::DoNotOptimize(page.products.data());
    }
    set_bytes(state, wshoto_page(), 100);
}
BENCHMARK(BM_WshotoProductsFast);

void BM_WshotoProductsGeneral(benchmark::State& state) {
    const wshoto::ErrorCodes codes;
    for (auto _ : state) {
        auto data = wshoto::read_envelope(wshoto_page(), codes, wshoto::kProductListPath);
        auto listing = wshoto::read_product_list(*data);
        std::vector<std::variant<Product, DeadLetter>> mapped;
        for (const auto& record : listing->records) mapped.push_back(wshoto::map_product(record));
        benchmark::DoNotOptimize(mapped.data());
    }
    set_bytes(state, wshoto_page(), 100);
}
BENCHMARK(BM_WshotoProductsGeneral);

struct WangdiantongPages {
    HttpResponse wait_list;  // getSelfWaitSyncIdListOpen, 500 ids
    HttpResponse calc;       // batchCalcStock of 100 of them
    std::int64_t calc_rows = 0;
};

const WangdiantongPages& wangdiantong_pages() {
    static const WangdiantongPages pages = [] {
        hot::Wangdiantong platform(2000);
        WangdiantongPages p;
        p.wait_list = platform.wait_list(500);
        auto listed =
            wangdiantong::parse_wait_list(*wangdiantong::read_envelope(p.wait_list, hot::kNow));
        std::vector<std::int64_t> ids(
            listed->ids.begin(),
            listed->ids.begin() + std::min<std::size_t>(100, listed->ids.size()));
        p.calc = platform.batch_calc(ids);
        p.calc_rows = static_cast<std::int64_t>(ids.size());
        return p;
    }();
    return pages;
}

// The old reading: parse_json_exact over the body, then the envelope's data (and, for the wait
// list, parse_wait_list).
nlohmann::json wangdiantong_general(const HttpResponse& response) {
    auto doc = parse_json_exact(response.body);
    return std::move((*doc)["data"]);
}

void BM_WangdiantongWaitListFast(benchmark::State& state) {
    const auto& pages = wangdiantong_pages();
    wangdiantong::WaitListReader reader;
    for (auto _ : state) {
        auto list = reader.read(pages.wait_list, hot::kNow);
        if (!list.ok() || !reader.fast()) {
            state.SkipWithError("the page did not take the fast path");
            break;
        }
        benchmark::DoNotOptimize(list->ids.data());
    }
    set_bytes(state, pages.wait_list, 500);
}
BENCHMARK(BM_WangdiantongWaitListFast);

void BM_WangdiantongWaitListGeneral(benchmark::State& state) {
    const auto& pages = wangdiantong_pages();
    for (auto _ : state) {
        auto list = wangdiantong::parse_wait_list(wangdiantong_general(pages.wait_list));
        benchmark::DoNotOptimize(list->ids.data());
    }
    set_bytes(state, pages.wait_list, 500);
}
BENCHMARK(BM_WangdiantongWaitListGeneral);

// The calc answer's document as the stock stream keeps it (its records feed the
// acknowledgements), built from simdjson by read_envelope; StockLevel mapping apart.
void BM_WangdiantongCalcFast(benchmark::State& state) {
    const auto& pages = wangdiantong_pages();
    for (auto _ : state) {
        auto data = wangdiantong::read_envelope(pages.calc, hot::kNow);
        benchmark::DoNotOptimize(data->is_object());
    }
    set_bytes(state, pages.calc, pages.calc_rows);
}
BENCHMARK(BM_WangdiantongCalcFast);

void BM_WangdiantongCalcGeneral(benchmark::State& state) {
    const auto& pages = wangdiantong_pages();
    for (auto _ : state) {
        auto data = wangdiantong_general(pages.calc);
        benchmark::DoNotOptimize(data.is_object());
    }
    set_bytes(state, pages.calc, pages.calc_rows);
}
BENCHMARK(BM_WangdiantongCalcGeneral);

// The same answer through map_stock_record (dump() as raw_json included), for the whole cost.
void BM_WangdiantongCalcMapped(benchmark::State& state) {
    const auto& pages = wangdiantong_pages();
    const TimeZone zone = shanghai();
    for (auto _ : state) {
        auto data = wangdiantong::read_envelope(pages.calc, hot::kNow);
        std::vector<StockLevel> levels;
        for (const auto& record : (*data)["success_date"]) {
            auto level = wangdiantong::map_stock_record(record, zone);
            if (level.ok()) levels.push_back(std::move(*level));
        }
        benchmark::DoNotOptimize(levels.data());
    }
    set_bytes(state, pages.calc, pages.calc_rows);
}
BENCHMARK(BM_WangdiantongCalcMapped);

// A store on a fresh file with one page of 100 Sunsky products ready to apply.
class StoreRig {
  public:
    StoreRig() {
        path_ = (std::filesystem::temp_directory_path() /
                 ("csync-micro-bench-" + std::to_string(::getpid()) + ".db"))
                    .string();
        remove_files();
        SqliteStore::OpenOptions o;
        store_ = std::move(SqliteStore::open(path_, clock_, o).value());
        (void)store_->register_account("bench", "sunsky");
        run_ =
            store_->begin_run(key_, std::chrono::floor<std::chrono::seconds>(clock_.now())).value();
        sunsky::ProductPageReader reader;
        sunsky::ProductPage page;
        (void)reader.read(sunsky_page(), shanghai(), kNow, page);
        records_.products = std::move(page.products);
    }
    ~StoreRig() {
        store_.reset();
        remove_files();
    }

    PageRecords& records() { return records_; }
    bool apply() {
        return store_->apply_page(key_, run_, records_, nlohmann::json{{"page", ++pages_}}).ok();
    }

  private:
    void remove_files() {
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
    }

    SystemClock clock_;
    std::string path_;
    std::unique_ptr<SqliteStore> store_;
    StreamKey key_{"bench", "products"};
    std::int64_t run_ = 0;
    std::int64_t pages_ = 0;
    PageRecords records_;
};

void BM_StoreApplyNewRows(benchmark::State& state) {
    StoreRig rig;
    std::vector<std::string> ids;
    for (const Product& p : rig.records().products) ids.push_back(p.external_id);
    std::int64_t n = 0;
    for (auto _ : state) {
        state.PauseTiming();
        ++n;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            rig.records().products[i].external_id = ids[i] + "-" + std::to_string(n);
        }
        state.ResumeTiming();
        if (!rig.apply()) state.SkipWithError("apply_page failed");
    }
    state.SetItemsProcessed(state.iterations() *
                            static_cast<std::int64_t>(rig.records().products.size()));
}
BENCHMARK(BM_StoreApplyNewRows)->Unit(benchmark::kMicrosecond);

// The same new rows, arriving in key order (each page's keys sort after every stored one): the
// difference to BM_StoreApplyNewRows is what scattered keys cost, one index leaf written to the
// WAL per row and index instead of a few per page.
void BM_StoreApplyNewRowsInKeyOrder(benchmark::State& state) {
    StoreRig rig;
    std::vector<std::string> ids;
    for (const Product& p : rig.records().products) ids.push_back(p.external_id);
    std::int64_t n = 1'000'000;
    for (auto _ : state) {
        state.PauseTiming();
        ++n;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            Product& p = rig.records().products[i];
            p.external_id = std::to_string(n) + "-" + ids[i];
            p.sku = p.external_id;
        }
        state.ResumeTiming();
        if (!rig.apply()) state.SkipWithError("apply_page failed");
    }
    state.SetItemsProcessed(state.iterations() *
                            static_cast<std::int64_t>(rig.records().products.size()));
}
BENCHMARK(BM_StoreApplyNewRowsInKeyOrder)->Unit(benchmark::kMicrosecond);

void BM_StoreApplyChangedRows(benchmark::State& state) {
    StoreRig rig;
    (void)rig.apply();
    const Decimal a = *Decimal::parse("1.25"), b = *Decimal::parse("2.50");
    bool flip = false;
    for (auto _ : state) {
        state.PauseTiming();
        flip = !flip;
        for (Product& p : rig.records().products) p.price = flip ? a : b;
        state.ResumeTiming();
        if (!rig.apply()) state.SkipWithError("apply_page failed");
    }
    state.SetItemsProcessed(state.iterations() *
                            static_cast<std::int64_t>(rig.records().products.size()));
}
BENCHMARK(BM_StoreApplyChangedRows)->Unit(benchmark::kMicrosecond);

void BM_StoreApplyUnchangedRows(benchmark::State& state) {
    StoreRig rig;
    (void)rig.apply();
    for (auto _ : state) {
        if (!rig.apply()) state.SkipWithError("apply_page failed");
    }
    state.SetItemsProcessed(state.iterations() *
                            static_cast<std::int64_t>(rig.records().products.size()));
}
BENCHMARK(BM_StoreApplyUnchangedRows)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
