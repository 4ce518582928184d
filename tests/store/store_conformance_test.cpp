// The Store port's behaviour, run against every backend: SQLite, PostgreSQL (when
// CSYNC_TEST_PG_DSN names a server) and the memory fake engine tests use (where it models the
// behaviour; what it deliberately leaves out is skipped with the reason), and the operator's side
// (dead letters, export) on the SQL backends. Backend-specific behaviour (SQLite's disk-full,
// the PostgreSQL lease fence) lives in each backend's own test file.

#include <functional>
#include <memory>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "fakes/adapter_reads_contract.hpp"
#include "store/record_hash.hpp"
#include "store_backends.hpp"

namespace csync::testing {
namespace {

using namespace std::chrono_literals;

struct BackendKind {
    std::string name;
    std::function<std::unique_ptr<StoreBackend>(FakeClock&)> make;
    bool needs_pg_server = false;
};

// gtest names the parameter in test listings by this.
void PrintTo(const BackendKind& kind, std::ostream* os) { *os << kind.name; }

class StoreConformance : public ::testing::TestWithParam<BackendKind> {
  protected:
    void SetUp() override {
        if (GetParam().needs_pg_server && !test_pg_dsn()) GTEST_SKIP() << kNoPgServer;
        backend_ = GetParam().make(clock_);
        store_ = &backend_->store();
        ASSERT_TRUE(store_->register_account("shop", "sunsky").ok());
    }

    // Checks that read the store's tables directly; the memory fake has none.
    bool skip_without_sql() { return !backend_->has_sql(); }

    ApplyStats apply(const PageRecords& page, nlohmann::json cursor = {{"page", 1}},
                     const std::string& stream = "products", std::int64_t run_id = 0) {
        auto applied = store_->apply_page({"shop", stream}, run_id, page, cursor);
        if (!applied.ok()) {
            ADD_FAILURE() << applied.error().message;
            return {};
        }
        return *applied;
    }

    std::optional<KnownVersion> version_of(const std::string& id, const std::string& scope = "") {
        auto known = store_->known_versions("shop", "product", scope, {id});
        if (!known.ok()) {
            ADD_FAILURE() << known.error().message;
            return std::nullopt;
        }
        auto it = known->find(id);
        if (it == known->end()) return std::nullopt;
        return it->second;
    }

    std::optional<StreamStatus> status_of(const std::string& stream) {
        auto all = store_->status();
        if (!all.ok()) {
            ADD_FAILURE() << all.error().message;
            return std::nullopt;
        }
        for (const StreamStatus& s : *all) {
            if (s.account == "shop" && s.stream == stream) return s;
        }
        return std::nullopt;
    }

    FakeClock clock_;
    std::unique_ptr<StoreBackend> backend_;
    Store* store_ = nullptr;
};

#define SKIP_WITHOUT_SQL()                                                                   \
    if (skip_without_sql())                                                                  \
    GTEST_SKIP() << "the memory fake keeps no tables: this part of the contract is checked " \
                    "through SQL on the real backends"

// --- atomicity ------------------------------------------------------------------------------

TEST_P(StoreConformance, AFailedPageLeavesNeitherRecordsNorCursor) {
    PageRecords page;
    for (int i = 0; i < 5; ++i) page.products.push_back(make_product("P" + std::to_string(i)));
    page.dead_letters.push_back(DeadLetter{"itemNo=BAD", "{}", "price is not a decimal"});

    backend_->fail_next_apply_after_rows(3);
    auto failed = store_->apply_page({"shop", "products"}, 0, page, {{"page", 2}});
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().kind, ErrorKind::storage);
    EXPECT_NE(failed.error().message.find("injected failure after 3 rows"), std::string::npos)
        << failed.error().message;
    auto cursor = store_->load_cursor({"shop", "products"});
    ASSERT_TRUE(cursor.ok());
    EXPECT_FALSE(cursor->has_value());
    EXPECT_FALSE(version_of("P0").has_value());
    if (backend_->has_sql()) {
        EXPECT_NE(failed.error().message.find("applying a page of shop/products"),
                  std::string::npos)
            << failed.error().message;
        EXPECT_EQ(backend_->integer("SELECT count(*) FROM products"), 0);
        EXPECT_EQ(backend_->integer("SELECT count(*) FROM changes"), 0);
        EXPECT_EQ(backend_->integer("SELECT count(*) FROM dead_letters"), 0);
        EXPECT_EQ(backend_->integer("SELECT count(*) FROM sync_state"), 0);
        EXPECT_EQ(backend_->integer("SELECT count(*) FROM record_counts WHERE records <> 0"), 0);
    }

    // The hook is one-shot: the same page now commits whole.
    const ApplyStats stats = apply(page, {{"page", 2}});
    EXPECT_EQ(stats.inserted, 5);
    EXPECT_EQ(stats.dead_lettered, 1);
    EXPECT_TRUE(version_of("P4").has_value());
    cursor = store_->load_cursor({"shop", "products"});
    ASSERT_TRUE(cursor.ok());
    ASSERT_TRUE(cursor->has_value());
    EXPECT_EQ(**cursor, (nlohmann::json{{"page", 2}}));
    auto status = status_of("products");
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(status->records, 5);
    EXPECT_EQ(status->dead_letters, 1);
}

TEST_P(StoreConformance, AFailureAtTheCursorStillRollsBackTheRecords) {
    PageRecords page;
    page.products.push_back(make_product("P1"));
    backend_->fail_next_apply_after_rows(1);  // every record written, then the cursor
    ASSERT_FALSE(store_->apply_page({"shop", "products"}, 0, page, {{"page", 1}}).ok());
    EXPECT_FALSE(version_of("P1").has_value());
    auto cursor = store_->load_cursor({"shop", "products"});
    ASSERT_TRUE(cursor.ok());
    EXPECT_FALSE(cursor->has_value());
}

TEST_P(StoreConformance, AnUnregisteredAccountIsRefusedClearly) {
    if (!backend_->has_sql()) {
        GTEST_SKIP() << "the memory fake accepts pages of unregistered accounts on purpose: "
                        "engine tests drive streams without registering them";
    }
    PageRecords page;
    page.products.push_back(make_product("P1"));
    auto refused = store_->apply_page({"ghost", "products"}, 0, page, nullptr);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::storage);
    EXPECT_NE(
        refused.error().message.find("account 'ghost' is not registered in " + backend_->where()),
        std::string::npos)
        << refused.error().message;
    auto cursor = store_->load_cursor({"ghost", "products"});
    ASSERT_TRUE(cursor.ok());
    EXPECT_FALSE(cursor->has_value());
}

// --- change detection and the change feed ---------------------------------------------------

TEST_P(StoreConformance, AnUnchangedRecordOnlyTouchesLastSeenAt) {
    PageRecords page;
    page.products.push_back(make_product("A1"));
    apply(page);
    const auto first = version_of("A1");
    ASSERT_TRUE(first.has_value());
    if (backend_->has_sql()) {  // the fake hashes records its own way
        EXPECT_EQ(first->content_hash, store::record_hash(page.products[0]));
    }

    clock_.advance(1h);
    const ApplyStats stats = apply(page, {{"page", 2}});
    EXPECT_EQ(stats.unchanged, 1);
    EXPECT_EQ(stats.inserted + stats.updated, 0);
    const auto second = version_of("A1");
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->content_hash, first->content_hash);
    EXPECT_EQ(format_utc_iso(*second->last_seen_at), "2023-11-14T23:13:20Z");

    // Twice in one page: both unchanged.
    clock_.advance(1h);
    page.products.push_back(make_product("A1"));
    EXPECT_EQ(apply(page, {{"page", 3}}).unchanged, 2);
    EXPECT_EQ(format_utc_iso(*version_of("A1")->last_seen_at), "2023-11-15T00:13:20Z");

    SKIP_WITHOUT_SQL();
    EXPECT_EQ(backend_->text("SELECT first_seen_at FROM products"), "2023-11-14T22:13:20Z");
    EXPECT_EQ(backend_->text("SELECT last_seen_at FROM products_last_seen"),
              "2023-11-15T00:13:20Z");
    // The wide row is not rewritten: the touch lands in the narrow product_seen row.
    EXPECT_EQ(backend_->text("SELECT last_seen_at FROM products"), "2023-11-14T22:13:20Z");
    EXPECT_EQ(backend_->text("SELECT last_seen_at FROM product_seen"), "2023-11-15T00:13:20Z");
    EXPECT_EQ(backend_->integer("SELECT count(*) FROM changes"), 1);  // the insert only
}

// Rows a full pass owns (a scope) keep last_seen_at in products, where the pass's search for
// rows it did not see finds them.
TEST_P(StoreConformance, AnUnchangedScopedProductTouchesItsOwnRow) {
    PageRecords page;
    page.products.push_back(make_product("A1"));
    page.products.back().scope = "items";
    page.products.push_back(page.products.back());
    apply(page);
    clock_.advance(1h);
    EXPECT_EQ(apply(page, {{"page", 2}}).unchanged, 2);
    auto unseen = store_->unseen_since("shop", "product", "items",
                                       UtcTime{std::chrono::seconds{1'700'003'600}}, 10);
    ASSERT_TRUE(unseen.ok()) << unseen.error().message;
    EXPECT_TRUE(unseen->empty());
    auto all = store_->unseen_since("shop", "product", "items",
                                    UtcTime{std::chrono::seconds{1'700'003'601}}, 10);
    ASSERT_TRUE(all.ok()) << all.error().message;
    EXPECT_EQ(*all, std::vector<std::string>{"A1"});
    SKIP_WITHOUT_SQL();
    EXPECT_EQ(backend_->text("SELECT last_seen_at FROM products"), "2023-11-14T23:13:20Z");
    EXPECT_EQ(backend_->integer("SELECT count(*) FROM product_seen"), 0);
}

TEST_P(StoreConformance, AnUpdateWritesTheNewHashAndAChangeRow) {
    const StreamKey key{"shop", "products"};
    auto run = store_->begin_run(key, UtcTime{std::chrono::seconds{1'700'000'000}});
    ASSERT_TRUE(run.ok()) << run.error().message;
    PageRecords page;
    page.products.push_back(make_product("A1", "9.99"));
    apply(page, {{"page", 1}}, "products", *run);
    const std::string old_hash = version_of("A1")->content_hash;

    clock_.advance(10min);
    page.products[0] = make_product("A1", "8.50");
    const ApplyStats stats = apply(page, {{"page", 2}}, "products", *run);
    EXPECT_EQ(stats.updated, 1);
    const auto v = version_of("A1");
    ASSERT_TRUE(v.has_value());
    EXPECT_NE(v->content_hash, old_hash);
    if (backend_->has_sql()) {  // the fake hashes records its own way
        EXPECT_EQ(v->content_hash, store::record_hash(page.products[0]));
    }
    EXPECT_EQ(format_utc_iso(*v->last_seen_at), "2023-11-14T22:23:20Z");

    SKIP_WITHOUT_SQL();
    EXPECT_EQ(backend_->text("SELECT price FROM products"), "8.5");
    EXPECT_EQ(backend_->text("SELECT first_seen_at FROM products"), "2023-11-14T22:13:20Z");
    EXPECT_EQ(backend_->text("SELECT op FROM changes ORDER BY id LIMIT 1"), "insert");
    EXPECT_EQ(backend_->text("SELECT op FROM changes ORDER BY id DESC LIMIT 1"), "update");
    EXPECT_EQ(
        backend_->integer("SELECT count(*) FROM changes WHERE run_id = " + std::to_string(*run)),
        2);
}

TEST_P(StoreConformance, RawJsonIsKeptByteForByte) {
    PageRecords page;
    Product p = make_product("A1");
    p.raw_json = "{ \"itemNo\" : \"A1\",\n \"price\":\"1.50\", \"name\":\"\xC3\xA9t\xC3\xA9\" }";
    page.products.push_back(p);
    apply(page);
    SKIP_WITHOUT_SQL();
    EXPECT_EQ(backend_->text("SELECT raw_json FROM products"), p.raw_json);
    EXPECT_EQ(backend_->text("SELECT price FROM products"), "9.99");
}

TEST_P(StoreConformance, TombstonesMarkProductsDeletedOnce) {
    PageRecords page;
    page.products.push_back(make_product("A1"));
    apply(page);

    PageRecords tombstones;
    tombstones.deleted_product_ids = {"A1", "NEVER-SEEN"};
    EXPECT_EQ(apply(tombstones).deleted, 1);
    EXPECT_EQ(apply(tombstones).deleted, 0);  // already deleted: no second change row
    const auto gone = version_of("A1");
    ASSERT_TRUE(gone.has_value());
    EXPECT_TRUE(gone->deleted);
    EXPECT_FALSE(version_of("NEVER-SEEN").has_value());
    auto unseen = store_->unseen_since("shop", "product", "",
                                       UtcTime{std::chrono::seconds{1'800'000'000}}, 10);
    ASSERT_TRUE(unseen.ok());
    EXPECT_TRUE(unseen->empty());  // tombstones are no deletion candidates

    // The same record coming back active is an update, not "unchanged".
    EXPECT_EQ(apply(page).updated, 1);
    EXPECT_FALSE(version_of("A1")->deleted);

    SKIP_WITHOUT_SQL();
    EXPECT_EQ(backend_->integer("SELECT count(*) FROM products"), 1);
    EXPECT_EQ(backend_->integer("SELECT count(*) FROM changes WHERE op = 'delete'"), 1);
}

TEST_P(StoreConformance, SeenIdsOnlyMoveLastSeenAtAndScopesStayApart) {
    PageRecords page;
    page.products = {make_product("A1"), make_product("A2")};
    apply(page);
    clock_.advance(1h);
    PageRecords seen;
    seen.seen_product_ids = {"A1", "UNKNOWN"};
    const ApplyStats stats = apply(seen, {{"page", 2}});
    EXPECT_EQ(stats.unchanged, 1);
    EXPECT_EQ(stats.inserted + stats.updated, 0);
    auto unseen = store_->unseen_since("shop", "product", "",
                                       UtcTime{std::chrono::seconds{1'700'003'600}}, 10);
    ASSERT_TRUE(unseen.ok()) << unseen.error().message;
    EXPECT_EQ(*unseen, std::vector<std::string>{"A2"});
    // Another scope's rows are never named.
    auto other = store_->unseen_since("shop", "product", "items",
                                      UtcTime{std::chrono::seconds{1'800'000'000}}, 10);
    ASSERT_TRUE(other.ok());
    EXPECT_TRUE(other->empty());
    EXPECT_FALSE(version_of("A1", "items").has_value());
    auto wrong_entity = store_->known_versions("shop", "order", "", {"A1"});
    ASSERT_FALSE(wrong_entity.ok());
    EXPECT_EQ(wrong_entity.error().kind, ErrorKind::config);
}

// --- dead letters -----------------------------------------------------------------------------

TEST_P(StoreConformance, ADeadLetterSeenAgainCountsAttemptsAndResolvesWhenTheRecordApplies) {
    SKIP_WITHOUT_SQL();  // the fake keeps every letter as a new row and never resolves one
    PageRecords bad;
    bad.dead_letters.push_back(
        DeadLetter{"itemNo=A1", R"({"price":"x"})", "price is not a decimal"});
    EXPECT_EQ(apply(bad).dead_lettered, 1);
    clock_.advance(5min);
    bad.dead_letters[0].error = "price is still not a decimal";
    apply(bad);

    EXPECT_EQ(backend_->integer("SELECT count(*) FROM dead_letters"), 1);
    EXPECT_EQ(backend_->integer("SELECT attempts FROM dead_letters"), 2);
    EXPECT_EQ(backend_->text("SELECT error FROM dead_letters"), "price is still not a decimal");
    EXPECT_EQ(backend_->text("SELECT first_seen_at FROM dead_letters"), "2023-11-14T22:13:20Z");
    EXPECT_EQ(backend_->text("SELECT last_seen_at FROM dead_letters"), "2023-11-14T22:18:20Z");
    EXPECT_EQ(backend_->text("SELECT resolved_at FROM dead_letters"), "<null>");
    EXPECT_EQ(status_of("products")->dead_letters, 1);

    // Another stream's record with the same id does not resolve it.
    PageRecords other_stream;
    Category c;
    c.external_id = "A1";
    c.raw_json = "{}";
    other_stream.categories.push_back(c);
    apply(other_stream, {{"page", 1}}, "categories");
    EXPECT_EQ(backend_->text("SELECT resolved_at FROM dead_letters"), "<null>");

    PageRecords good;
    good.products.push_back(make_product("A1"));
    apply(good);
    EXPECT_EQ(backend_->text("SELECT resolved_at FROM dead_letters"), "2023-11-14T22:18:20Z");
    EXPECT_EQ(status_of("products")->dead_letters, 0);

    // Failing again reopens the same letter.
    apply(bad);
    EXPECT_EQ(backend_->integer("SELECT count(*) FROM dead_letters"), 1);
    EXPECT_EQ(backend_->integer("SELECT attempts FROM dead_letters"), 3);
    EXPECT_EQ(backend_->text("SELECT resolved_at FROM dead_letters"), "<null>");
}

TEST_P(StoreConformance, DeadLettersWithoutAKeyAreKeyedByTheirPayload) {
    SKIP_WITHOUT_SQL();  // the fake keys no letters
    PageRecords bad;
    bad.dead_letters.push_back(DeadLetter{"", R"({"a":1})", "no itemNo"});
    bad.dead_letters.push_back(DeadLetter{"", R"({"a":2})", "no itemNo"});
    apply(bad);
    apply(bad);
    EXPECT_EQ(backend_->integer("SELECT count(*) FROM dead_letters"), 2);
    EXPECT_EQ(backend_->integer("SELECT min(attempts) FROM dead_letters"), 2);
    EXPECT_EQ(backend_->text("SELECT substr(record_key, 1, 8) FROM dead_letters LIMIT 1"),
              "payload#");
}

// --- dead letters and export (the CLI's side of the store) -------------------------------------

#define SKIP_WITHOUT_OPERATIONS()                                                              \
    if (!backend_->operational())                                                              \
    GTEST_SKIP() << "the memory fake has no dead-letter or export commands: they are checked " \
                    "on the SQL backends"

TEST_P(StoreConformance, DeadLettersAreListedAndDismissedAllOrNothing) {
    SKIP_WITHOUT_OPERATIONS();
    OperationalStore& ops = *backend_->operational();
    PageRecords bad;
    bad.dead_letters.push_back(DeadLetter{"itemNo=A1", R"({"price":"x"})", "price is bad"});
    bad.dead_letters.push_back(DeadLetter{"itemNo=A2", R"({"price":"y"})", "price is bad"});
    apply(bad);
    auto listed = ops.dead_letters({});
    ASSERT_TRUE(listed.ok()) << listed.error().message;
    ASSERT_EQ(listed->size(), 2u);
    const DeadLetterRow first = (*listed)[0];
    EXPECT_EQ(first.account, "shop");
    EXPECT_EQ(first.stream, "products");
    EXPECT_EQ(first.record_key, "itemNo=A1");
    EXPECT_EQ(first.payload, R"({"price":"x"})");
    EXPECT_EQ(first.attempts, 1);
    EXPECT_EQ(first.first_seen_at, "2023-11-14T22:13:20Z");
    EXPECT_FALSE(first.resolved_at.has_value());
    const std::int64_t second = (*listed)[1].id;
    EXPECT_GT(second, first.id);
    EXPECT_EQ(ops.dead_letters({std::string("shop"), std::string("orders"), false})->size(), 0u);

    // An unknown id fails the whole dismissal.
    auto refused = ops.dismiss_dead_letters({first.id, second + 1000});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::config);
    EXPECT_NE(refused.error().message.find(std::to_string(second + 1000)), std::string::npos);
    EXPECT_EQ(ops.dead_letters({})->size(), 2u);

    clock_.advance(1min);
    ASSERT_TRUE(ops.dismiss_dead_letters({first.id}).ok());
    EXPECT_EQ(ops.dead_letters({})->size(), 1u);
    auto all = ops.dead_letters({std::nullopt, std::nullopt, true});
    ASSERT_EQ(all->size(), 2u);
    EXPECT_EQ((*all)[0].resolved_at, std::optional<std::string>("2023-11-14T22:14:20Z"));
    auto one = ops.dead_letter(first.id);
    ASSERT_TRUE(one.ok() && one->has_value());
    EXPECT_TRUE((*one)->resolved_at.has_value());
    EXPECT_FALSE(ops.dead_letter(second + 1000)->has_value());
    // Already resolved: refused, and the other letter stays open.
    EXPECT_EQ(ops.dismiss_dead_letters({second, first.id}).error().kind, ErrorKind::config);
    EXPECT_FALSE(ops.dead_letter(second)->value().resolved_at.has_value());
}

TEST_P(StoreConformance, ADeadLetterRetryStoresItsRecordsAndResolvesItInOneTransaction) {
    SKIP_WITHOUT_OPERATIONS();
    OperationalStore& ops = *backend_->operational();
    PageRecords bad;
    bad.dead_letters.push_back(DeadLetter{"itemNo=A1", R"({"price":"x"})", "price is bad"});
    apply(bad, {{"page", 7}});
    const std::int64_t id = ops.dead_letters({})->at(0).id;
    PageRecords fixed;
    fixed.products.push_back(make_product("A1"));
    fixed.products.push_back(make_product("A2"));

    auto changed = ops.apply_dead_letter_retry(id, R"({"price":"old"})", fixed);
    ASSERT_FALSE(changed.ok());
    EXPECT_EQ(changed.error().kind, ErrorKind::config);
    PageRecords with_letter = fixed;
    with_letter.dead_letters.push_back(DeadLetter{"k", "{}", "e"});
    EXPECT_EQ(ops.apply_dead_letter_retry(id, R"({"price":"x"})", with_letter).error().kind,
              ErrorKind::config);

    backend_->fail_next_apply_after_rows(1);
    EXPECT_FALSE(ops.apply_dead_letter_retry(id, R"({"price":"x"})", fixed).ok());
    EXPECT_EQ(backend_->integer("SELECT count(*) FROM products"), 0);
    EXPECT_FALSE(ops.dead_letter(id)->value().resolved_at.has_value());

    ASSERT_TRUE(ops.record_dead_letter_retry_failure(id, "price is still bad").ok());
    EXPECT_EQ(ops.dead_letter(id)->value().attempts, 2);
    EXPECT_EQ(ops.dead_letter(id)->value().error, "price is still bad");

    auto stored = ops.apply_dead_letter_retry(id, R"({"price":"x"})", fixed);
    ASSERT_TRUE(stored.ok()) << stored.error().message;
    EXPECT_EQ(stored->inserted, 2);
    EXPECT_EQ(backend_->integer("SELECT count(*) FROM products"), 2);
    EXPECT_EQ(backend_->integer("SELECT count(*) FROM changes WHERE external_id = 'A1'"), 1);
    EXPECT_TRUE(ops.dead_letter(id)->value().resolved_at.has_value());
    EXPECT_EQ(status_of("products")->records, 2);
    // The stream's cursor is untouched.
    EXPECT_EQ(store_->load_cursor({"shop", "products"})->value(), (nlohmann::json{{"page", 7}}));

    EXPECT_EQ(ops.apply_dead_letter_retry(id, R"({"price":"x"})", fixed).error().kind,
              ErrorKind::config);
    EXPECT_EQ(ops.record_dead_letter_retry_failure(id, "again").error().kind, ErrorKind::config);
}

TEST_P(StoreConformance, ExportWritesRowsInKeyOrderAndRefusesUnknownTables) {
    SKIP_WITHOUT_OPERATIONS();
    OperationalStore& ops = *backend_->operational();
    PageRecords page;
    page.products.push_back(make_product("b", "12.50"));
    page.products.push_back(make_product("B", "0.10"));
    page.products.push_back(make_product("a,\"1\"", "100"));
    apply(page);
    std::ostringstream csv;
    ASSERT_TRUE(ops.export_table("products", csv, ExportFormat::csv).ok());
    // Byte order (upper case first), the awkward id quoted with its quotes doubled.
    const std::string text = csv.str();
    EXPECT_TRUE(text.starts_with("account,external_id,")) << text;
    const auto upper = text.find("\r\nshop,B,");
    const auto quoted = text.find("\r\nshop,\"a,\"\"1\"\"\",");
    const auto lower = text.find("\r\nshop,b,");
    ASSERT_NE(quoted, std::string::npos) << text;
    EXPECT_LT(upper, quoted);
    EXPECT_LT(quoted, lower);
    EXPECT_NE(lower, std::string::npos);
    std::ostringstream ndjson;
    ASSERT_TRUE(ops.export_table("products", ndjson).ok());
    const auto first = nlohmann::json::parse(ndjson.str().substr(0, ndjson.str().find('\n')));
    EXPECT_EQ(first["price"], "0.1");  // exact decimal text, as stored
    EXPECT_EQ(first["stock"], 5);
    EXPECT_EQ(first["last_seen_at"], "2023-11-14T22:13:20Z");

    std::ostringstream ignored;
    auto refused = ops.export_table("pg_user", ignored);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::config);
    EXPECT_NE(refused.error().message.find("dead_letters"), std::string::npos);
}

// --- cursors, accounts, runs, status ---------------------------------------------------------

TEST_P(StoreConformance, CursorsRoundTripAndReset) {
    const StreamKey key{"shop", "products"};
    const nlohmann::json cursor = {{"gmtModifiedStart", "2023-09-23 10:01:02"},
                                   {"boundary", {"A1", "A2"}}};
    apply(PageRecords{}, cursor);
    auto loaded = store_->load_cursor(key);
    ASSERT_TRUE(loaded.ok() && loaded->has_value());
    EXPECT_EQ(**loaded, cursor);

    ASSERT_TRUE(store_->reset_cursor(key).ok());
    loaded = store_->load_cursor(key);
    ASSERT_TRUE(loaded.ok());
    EXPECT_FALSE(loaded->has_value());
}

TEST_P(StoreConformance, AccountStateIsValidatedAndStored) {
    auto bad = store_->set_account_state("shop", "sleeping", "");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind, ErrorKind::config);
    EXPECT_EQ(bad.error().message, "account state 'sleeping' is not one of: ok, parked");

    ASSERT_TRUE(store_->set_account_state("shop", "parked", "signature rejected").ok());
    EXPECT_FALSE(store_->set_account_state("ghost", "ok", "").ok());
    apply(PageRecords{});
    auto status = status_of("products");
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(status->account_state, "parked");
    EXPECT_EQ(status->account_state_reason, "signature rejected");
    EXPECT_EQ(status->platform, "sunsky");

    // Registering again keeps created_at and the state, and records a platform change.
    clock_.advance(1h);
    ASSERT_TRUE(store_->register_account("shop", "sunsky").ok());
    ASSERT_TRUE(store_->register_account("shop", "wangdiantong").ok());
    EXPECT_EQ(status_of("products")->platform, "wangdiantong");
    EXPECT_EQ(status_of("products")->account_state, "parked");
    SKIP_WITHOUT_SQL();
    EXPECT_EQ(backend_->text("SELECT created_at FROM accounts"), "2023-11-14T22:13:20Z");
    EXPECT_EQ(backend_->text("SELECT updated_at FROM accounts"), "2023-11-14T23:13:20Z");
}

TEST_P(StoreConformance, RunsAreRecordedAndUnknownRunsRefused) {
    const StreamKey key{"shop", "products"};
    auto run = store_->begin_run(key, UtcTime{std::chrono::seconds{1'700'000'000}});
    ASSERT_TRUE(run.ok());
    RunSummary summary;
    summary.pages = 3;
    summary.requests = 4;
    summary.stats.inserted = 250;
    summary.stats.unchanged = 50;
    summary.finished_at = UtcTime{std::chrono::seconds{1'700'000'090}};
    ASSERT_TRUE(store_->finish_run(*run, summary).ok());
    auto status = status_of("products");
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(format_utc_iso(*status->last_run_started_at), "2023-11-14T22:13:20Z");
    EXPECT_EQ(format_utc_iso(*status->last_success_at), "2023-11-14T22:14:50Z");
    EXPECT_FALSE(status->last_error.has_value());

    auto failing = store_->begin_run(key, UtcTime{std::chrono::seconds{1'700'000'100}});
    ASSERT_TRUE(failing.ok());
    RunSummary failed;
    failed.error = "transient: HTTP 503";
    failed.finished_at = UtcTime{std::chrono::seconds{1'700'000'120}};
    ASSERT_TRUE(store_->finish_run(*failing, failed).ok());
    status = status_of("products");
    EXPECT_EQ(status->last_error, "transient: HTTP 503");
    EXPECT_EQ(format_utc_iso(*status->last_error_at), "2023-11-14T22:15:20Z");
    EXPECT_EQ(format_utc_iso(*status->last_success_at), "2023-11-14T22:14:50Z");

    auto unknown = store_->finish_run(*failing + 100, summary);
    ASSERT_FALSE(unknown.ok());
    SKIP_WITHOUT_SQL();  // the fake accepts any run id on a page
    EXPECT_NE(unknown.error().message.find("no run with id " + std::to_string(*failing + 100)),
              std::string::npos);
    PageRecords page;
    page.products.push_back(make_product("A1"));
    auto orphan = store_->apply_page(key, *run + 100, page, {{"page", 1}});
    ASSERT_FALSE(orphan.ok());
    EXPECT_NE(orphan.error().message.find("run " + std::to_string(*run + 100) +
                                          " does not exist in " + backend_->where()),
              std::string::npos)
        << orphan.error().message;
    EXPECT_EQ(backend_->integer("SELECT count(*) FROM products"), 0);
    EXPECT_EQ(backend_->text("SELECT pages || ' ' || requests || ' ' || inserted || ' ' || "
                             "unchanged FROM sync_runs ORDER BY id LIMIT 1"),
              "3 4 250 50");
}

TEST_P(StoreConformance, StatusCountsEachStreamsRows) {
    PageRecords products;
    products.products = {make_product("A1"), make_product("A2"), make_product("A3")};
    apply(products);
    PageRecords stock;
    stock.stock_levels = {make_stock("R1", "SKU-A1"), make_stock("R2", "SKU-X")};
    apply(stock, {{"page", 1}}, "stock");
    apply(products, {{"page", 2}});  // unchanged rows are not counted twice
    EXPECT_EQ(status_of("products")->records, 3);
    EXPECT_EQ(status_of("stock")->records, 2);
    EXPECT_EQ(status_of("products")->cursor, (nlohmann::json{{"page", 2}}));
    SKIP_WITHOUT_SQL();
    EXPECT_EQ(backend_->text("SELECT product_external_id FROM stock_levels WHERE "
                             "external_id = 'R1'"),
              "A1");
    EXPECT_EQ(backend_->text("SELECT quantity FROM stock_levels WHERE external_id = 'R1'"), "12.5");
}

TEST_P(StoreConformance, OrderLinesAreReplacedWhenTheOrderChanges) {
    SKIP_WITHOUT_SQL();  // the fake keeps orders whole, lines inside
    Order o;
    o.external_id = "O1";
    o.status = OrderStatus::paid;
    o.platform_status = "WAIT_SELLER_SEND";
    o.currency = "USD";
    o.total_amount = dec("30.00");
    o.raw_json = R"({"tid":"O1"})";
    o.lines.push_back(OrderLine{"L1", "SKU-A1", "Widget", dec("2"), dec("10"), dec("20")});
    o.lines.push_back(OrderLine{"L2", "SKU-B1", "Gadget", dec("1"), dec("10"), dec("10")});
    PageRecords page;
    page.orders.push_back(o);
    EXPECT_EQ(apply(page, {{"page", 1}}, "orders").inserted, 1);
    EXPECT_EQ(backend_->text("SELECT total_amount FROM orders"), "30");
    EXPECT_EQ(backend_->text("SELECT line_id FROM order_lines ORDER BY line_number LIMIT 1"), "L1");
    EXPECT_EQ(backend_->integer("SELECT count(*) FROM order_lines"), 2);

    page.orders[0].status = OrderStatus::shipped;
    page.orders[0].lines.pop_back();
    EXPECT_EQ(apply(page, {{"page", 1}}, "orders").updated, 1);
    EXPECT_EQ(backend_->text("SELECT status FROM orders"), "shipped");
    EXPECT_EQ(backend_->integer("SELECT count(*) FROM order_lines"), 1);
    EXPECT_EQ(backend_->text("SELECT quantity || ' x ' || unit_price FROM order_lines"), "2 x 10");
}

TEST_P(StoreConformance, ReadsForAdaptersAndAccountStateKeepTheStoreContract) {
    check_adapter_reads_contract(*store_, clock_);
    auto refused = store_->save_account_state("ghost", {{"token", "x"}});
    EXPECT_FALSE(refused.ok());
}

std::string backend_name(const ::testing::TestParamInfo<BackendKind>& info) {
    return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(
    Backends, StoreConformance,
    ::testing::Values(BackendKind{"Sqlite",
                                  [](FakeClock& c) -> std::unique_ptr<StoreBackend> {
                                      return std::make_unique<SqliteBackend>(c);
                                  }},
                      BackendKind{"Postgres",
                                  [](FakeClock& c) -> std::unique_ptr<StoreBackend> {
                                      return std::make_unique<PostgresBackend>(c);
                                  },
                                  true},
                      BackendKind{"Memory",
                                  [](FakeClock& c) -> std::unique_ptr<StoreBackend> {
                                      return std::make_unique<MemoryBackend>(c);
                                  }}),
    backend_name);

}  // namespace
}  // namespace csync::testing
