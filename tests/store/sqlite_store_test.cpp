// SqliteStore against real files: what only the SQLite store does (disk full, images beside the
// file, export, dead-letter listing, retention) and column-level detail. The port's behaviour on
// every backend is in store_conformance_test.cpp.

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/digest.hpp"
#include "fakes/adapter_reads_contract.hpp"
#include "store/record_hash.hpp"
#include "store/sqlite/support.hpp"
#include "store_test_support.hpp"

namespace csync::testing {
namespace {

using namespace std::chrono_literals;

class SqliteStoreTest : public StoreFixture {};

// --- atomicity ------------------------------------------------------------------------------

TEST_F(SqliteStoreTest, DiskFullSurfacesSqlitesMessageAndTheStream) {
    PageRecords small;
    small.products.push_back(make_product("P0"));
    apply(small, {{"page", 1}});
    auto db = reader();
    const std::int64_t pages = db.integer("PRAGMA page_count");
    ASSERT_TRUE(store_->limit_pages_for_test(pages + 2).ok());

    PageRecords big;
    for (int i = 1; i <= 200; ++i) {
        Product p = make_product("P" + std::to_string(i));
        p.raw_json = std::string(2000, 'x');
        big.products.push_back(p);
    }
    auto failed = store_->apply_page({"shop", "products"}, 0, big, {{"page", 2}});
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().kind, ErrorKind::storage);
    EXPECT_NE(failed.error().message.find("database or disk is full"), std::string::npos)
        << failed.error().message;
    EXPECT_NE(failed.error().message.find("shop/products"), std::string::npos);
    EXPECT_NE(failed.error().message.find(path_), std::string::npos);

    EXPECT_EQ(db.integer("SELECT count(*) FROM products"), 1);
    auto cursor = store_->load_cursor({"shop", "products"});
    ASSERT_TRUE(cursor.ok() && cursor->has_value());
    EXPECT_EQ(**cursor, (nlohmann::json{{"page", 1}}));
}

// --- change detection and the change feed ---------------------------------------------------

TEST_F(SqliteStoreTest, AnInsertStoresEveryColumnExactly) {
    PageRecords page;
    Product p = make_product("A1", "2.6600");
    p.parent_external_id = "G1";
    p.barcode = "";  // not sent by the platform
    page.products.push_back(p);
    const ApplyStats stats = apply(page, {{"page", 1}}, "products", 0);
    EXPECT_EQ(stats.inserted, 1);

    auto db = reader();
    const std::string row = "FROM products WHERE account = 'shop' AND external_id = 'A1'";
    EXPECT_EQ(db.text("SELECT price " + row), "2.66");
    EXPECT_EQ(db.text("SELECT typeof(price) " + row), "text");
    EXPECT_EQ(db.text("SELECT parent_external_id " + row), "G1");
    EXPECT_EQ(db.text("SELECT barcode " + row), "<null>");
    EXPECT_EQ(db.text("SELECT sku " + row), "SKU-A1");
    EXPECT_EQ(db.integer("SELECT stock " + row), 5);
    EXPECT_EQ(db.text("SELECT status " + row), "active");
    EXPECT_EQ(db.text("SELECT source_modified_at " + row), "2023-09-23T02:01:02Z");
    EXPECT_EQ(db.text("SELECT first_seen_at " + row), "2023-11-14T22:13:20Z");
    EXPECT_EQ(db.text("SELECT last_seen_at " + row), "2023-11-14T22:13:20Z");
    EXPECT_EQ(db.text("SELECT content_hash " + row), store::record_hash(p));
    EXPECT_EQ(db.text("SELECT raw_json " + row), p.raw_json);

    EXPECT_EQ(db.text("SELECT entity || ' ' || external_id || ' ' || op || ' ' || changed_at "
                      "FROM changes"),
              "product A1 insert 2023-11-14T22:13:20Z");
    EXPECT_EQ(db.text("SELECT run_id FROM changes"), "<null>");
}

TEST_F(SqliteStoreTest, ALargePageMixesUnchangedChangedAndNewRowsInItsOrder) {
    // More rows than one multi-row change statement holds, and runs of unchanged rows (settled
    // by one statement each) broken by changed and new ones.
    PageRecords first;
    for (int i = 0; i < 70; ++i) first.products.push_back(make_product("P" + std::to_string(i)));
    EXPECT_EQ(apply(first).inserted, 70);
    auto db = reader();
    const std::string raw_before =
        db.text("SELECT raw_json FROM products WHERE external_id = 'P5'");

    clock_.advance(1h);
    PageRecords second = first;
    second.products[5] = make_product("P5", "1.25");
    second.products[40] = make_product("P40", "2.50");
    second.products.push_back(make_product("Q1"));
    const ApplyStats stats = apply(second, {{"page", 2}});
    EXPECT_EQ(stats.unchanged, 68);
    EXPECT_EQ(stats.updated, 2);
    EXPECT_EQ(stats.inserted, 1);

    EXPECT_NE(db.text("SELECT raw_json FROM products WHERE external_id = 'P5'"), raw_before);
    EXPECT_EQ(db.text("SELECT price FROM products WHERE external_id = 'P40'"), "2.5");
    EXPECT_EQ(db.integer("SELECT count(*) FROM products_last_seen WHERE last_seen_at = "
                         "'2023-11-14T23:13:20Z'"),
              71);
    EXPECT_EQ(db.integer("SELECT count(*) FROM changes"), 73);
    // The feed lists the changes in the order the page carried them.
    EXPECT_EQ(db.text("SELECT group_concat(external_id || ':' || op, ',') FROM "
                      "(SELECT external_id, op FROM changes ORDER BY id LIMIT 3 OFFSET 69)"),
              "P69:insert,P5:update,P40:update");
    EXPECT_EQ(db.text("SELECT external_id FROM changes ORDER BY id DESC LIMIT 1"), "Q1");
}

TEST_F(SqliteStoreTest, ReleasingMemoryEmptiesThePageCacheAndKeepsTheData) {
    PageRecords page;
    for (int i = 0; i < 50; ++i) page.products.push_back(make_product("P" + std::to_string(i)));
    EXPECT_EQ(apply(page).inserted, 50);
    const std::int64_t filled = store_->page_cache_bytes();
    ASSERT_GT(filled, 10 * 4096);  // dozens of pages of rows and index

    store_->release_memory();
    // At most the page a cached statement still pins stays.
    EXPECT_LE(store_->page_cache_bytes(), 8192);
    // The next page reads what it needs again: the rows are there, unchanged.
    clock_.advance(1h);
    EXPECT_EQ(apply(page, {{"page", 2}}).unchanged, 50);
}

TEST_F(SqliteStoreTest, ADurablePageIsSyncedToDiskAndTheNextPageIsNot) {
    PageRecords page;
    page.products.push_back(make_product("P1"));
    page.durable = true;
    ASSERT_EQ(apply(page).inserted, 1);
    EXPECT_EQ(store_->durable_commit_synchronous(), 2) << "FULL: the WAL is synced at commit";
    EXPECT_EQ(store_->synchronous_setting(), 1) << "NORMAL again after a durable page";

    page.durable = false;
    page.products.push_back(make_product("P2"));
    ASSERT_EQ(apply(page, {{"page", 2}}).inserted, 1);
    EXPECT_EQ(store_->synchronous_setting(), 1) << "an ordinary page runs NORMAL";
}

TEST_F(SqliteStoreTest, CategoriesFollowTheSameRules) {
    PageRecords page;
    Category c;
    c.external_id = "C1";
    c.name = "Phones";
    c.status = "active";
    c.raw_json = R"({"id":"C1"})";
    page.categories.push_back(c);
    EXPECT_EQ(apply(page, {{"page", 1}}, "categories").inserted, 1);
    EXPECT_EQ(apply(page, {{"page", 1}}, "categories").unchanged, 1);
    auto db = reader();
    EXPECT_EQ(db.text("SELECT parent_external_id FROM categories"), "<null>");
}

// --- images -----------------------------------------------------------------------------------

Image make_image(const std::string& product, int position, const std::string& bytes) {
    return Image{product, position, sha256_hex(bytes), bytes, std::nullopt};
}

PageRecords image_page(std::vector<std::string> products, std::vector<Image> images) {
    PageRecords page;
    page.replaced_image_sets = std::move(products);
    page.images = std::move(images);
    return page;
}

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::size_t files_under(const std::filesystem::path& root) {
    std::size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        n += it->is_regular_file();
    }
    return n;
}

TEST_F(SqliteStoreTest, ImagesAreContentAddressedFilesBesideTheDatabase) {
    auto stats =
        apply(image_page({"A1"}, {make_image("A1", 0, "front"), make_image("A1", 1, "back")}),
              {{"page", 1}}, "images");
    EXPECT_EQ(stats.inserted, 2);
    const std::filesystem::path root =
        std::filesystem::path(path_).parent_path() / "commerce-images";
    const std::string sha = sha256_hex("front");
    const auto file = root / sha.substr(0, 2) / sha;
    EXPECT_EQ(read_text(file), "front");
    auto db = reader();
    EXPECT_EQ(db.text("SELECT file_path FROM images WHERE position = 0"), file.string());
    EXPECT_EQ(db.text("SELECT sha256 FROM images WHERE position = 0"), sha);
    EXPECT_EQ(db.integer("SELECT byte_size FROM images WHERE position = 1"), 4);
    // The same set again changes nothing.
    EXPECT_EQ(apply(image_page({"A1"}, {make_image("A1", 0, "front"), make_image("A1", 1, "back")}),
                    {{"page", 2}}, "images")
                  .unchanged,
              2);
}

TEST_F(SqliteStoreTest, ANewImageSetRemovesTheOldFilesOnlyWhenNoRowNamesThem) {
    apply(image_page({"A1", "B1"}, {make_image("A1", 0, "shared"), make_image("A1", 1, "old"),
                                    make_image("B1", 0, "shared")}),
          {{"page", 1}}, "images");
    const auto root = std::filesystem::path(path_).parent_path() / "commerce-images";
    EXPECT_EQ(files_under(root), 2u);
    // A1 now has one new image: "old" goes, "shared" stays for B1.
    auto stats = apply(image_page({"A1"}, {make_image("A1", 0, "new")}), {{"page", 2}}, "images");
    EXPECT_EQ(stats.updated, 1);
    EXPECT_EQ(stats.deleted, 1);
    EXPECT_EQ(files_under(root), 2u);  // shared (still B1's) + new
    const std::string old_sha = sha256_hex("old");
    EXPECT_FALSE(std::filesystem::exists(root / old_sha.substr(0, 2) / old_sha));
    // A1's position 0 changes its image: the one it replaced goes.
    apply(image_page({"A1"}, {make_image("A1", 0, "newer")}), {{"page", 3}}, "images");
    const std::string new_sha = sha256_hex("new");
    EXPECT_FALSE(std::filesystem::exists(root / new_sha.substr(0, 2) / new_sha));
    EXPECT_EQ(files_under(root), 2u);
    // B1 is gone on the platform: its rows go, and with them the last use of "shared".
    apply(image_page({"B1"}, {}), {{"page", 4}}, "images");
    EXPECT_EQ(files_under(root), 1u);
    auto db = reader();
    EXPECT_EQ(db.integer("SELECT count(*) FROM images"), 1);
    EXPECT_EQ(db.text("SELECT group_concat(op, ',') FROM (SELECT op FROM changes WHERE"
                      " external_id = 'A1' ORDER BY id)"),
              "insert,insert,update,delete,update");
}

TEST_F(SqliteStoreTest, AFailedImagePageLeavesItsFilesAsOrphansTheNextStoreRemoves) {
    store_->fail_next_apply_after_rows_for_test(0);
    PageRecords page = image_page({"A1"}, {make_image("A1", 0, "orphan")});
    ASSERT_FALSE(store_->apply_page({"shop", "images"}, 0, page, {{"page", 1}}).ok());
    const auto root = std::filesystem::path(path_).parent_path() / "commerce-images";
    EXPECT_EQ(files_under(root), 1u);  // written before the rows, which rolled back
    store_.reset();
    store_ = open_ok(path_, {});
    apply(image_page({"B1"}, {make_image("B1", 0, "kept")}), {{"page", 1}}, "images");
    EXPECT_EQ(files_under(root), 1u);
    EXPECT_EQ(reader().integer("SELECT count(*) FROM images WHERE product_external_id = 'A1'"), 0);
}

TEST_F(SqliteStoreTest, TheImageBudgetRefusesAPageBeforeWritingAnything) {
    PageRecords page = image_page({"A1"}, {make_image("A1", 0, std::string(3000, 'x'))});
    page.image_folder = dir_.file("pictures");
    page.image_budget_bytes = 2000;
    auto refused = store_->apply_page({"shop", "images"}, 0, page, {{"page", 1}});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::storage);
    EXPECT_NE(refused.error().message.find("budget"), std::string::npos) << refused.error().message;
    EXPECT_NE(refused.error().message.find("pictures"), std::string::npos);
    EXPECT_EQ(files_under(dir_.file("pictures")), 0u);
    EXPECT_FALSE(store_->load_cursor({"shop", "images"})->has_value());
    page.image_budget_bytes = 4000;
    apply(page, {{"page", 1}}, "images");
    EXPECT_EQ(files_under(dir_.file("pictures")), 1u);
}

TEST_F(SqliteStoreTest, ImageSpaceCountsTheFolderAndOnlyTheCandidatesItDoesNotHold) {
    const std::string folder = dir_.file("pictures");
    apply(image_page({"A1"}, {make_image("A1", 0, std::string(3000, 'x'))}), {{"page", 1}},
          "images");  // the default folder
    PageRecords stored = image_page({"B1"}, {make_image("B1", 0, std::string(3000, 'x'))});
    stored.image_folder = folder;
    apply(stored, {{"page", 2}}, "images");
    const std::string held = sha256_hex(std::string(3000, 'x'));
    const std::string fresh = sha256_hex("fresh");
    // The held image costs nothing more; a new one counts once, however often it is named.
    auto space = store_->image_space(folder, {{held, 3000}, {fresh, 5}, {fresh, 5}});
    ASSERT_TRUE(space.ok()) << space.error().message;
    EXPECT_EQ(space->used_bytes, 3000);
    EXPECT_EQ(space->incoming_bytes, 5);
    EXPECT_TRUE(space->free_bytes.has_value());
    // "" is the default folder beside the database, measured apart.
    EXPECT_EQ(store_->image_space("", {})->used_bytes, 3000);
    EXPECT_EQ(store_->image_space(dir_.file("empty"), {{held, 3000}})->incoming_bytes, 3000);
}

TEST_F(SqliteStoreTest, ImageBytesThatDoNotMatchTheirNameAreRefused) {
    Image forged = make_image("A1", 0, "real");
    forged.data = "forged";
    auto refused =
        store_->apply_page({"shop", "images"}, 0, image_page({"A1"}, {forged}), {{"page", 1}});
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("do not match"), std::string::npos);
}

// --- ledger, balance, countries ------------------------------------------------------------

TEST_F(SqliteStoreTest, BillsAreKeyedByContentAndOccurrence) {
    LedgerEntry bill{std::chrono::sys_seconds{std::chrono::seconds{1'717'200'000}},
                     "cancelOrder",
                     "SS1",
                     *Decimal::parse("0"),
                     *Decimal::parse("12.5"),
                     1,
                     "{}"};
    PageRecords page;
    page.ledger = {bill, bill};
    page.ledger[1].occurrence = 2;
    page.balance = AccountBalance{*Decimal::parse("12.50"), "USD", bill.created_at};
    EXPECT_EQ(apply(page, {{"page", 1}}, "account").inserted, 2);
    EXPECT_EQ(apply(page, {{"page", 1}}, "account").unchanged, 2);
    auto db = reader();
    EXPECT_EQ(db.integer("SELECT count(*) FROM ledger"), 2);
    EXPECT_EQ(db.text("SELECT balance FROM account_balances WHERE account = 'shop'"), "12.5");
}

// record_counts is kept by the page writer (one statement per page and table) and by delete
// triggers: after every kind of write, and after a page that failed half-way, it equals count(*).
TEST_F(SqliteStoreTest, RecordCountsMatchTheRowsAfterEveryKindOfWrite) {
    auto db = reader();
    const std::vector<std::string> tables = {"products", "categories", "stock_levels", "orders",
                                             "images",   "ledger",     "countries"};
    auto expect_counts_match = [&](const std::string& when) {
        for (const std::string& t : tables) {
            EXPECT_EQ(db.integer("SELECT coalesce((SELECT records FROM record_counts"
                                 " WHERE account = 'shop' AND tbl = '" +
                                 t + "'), 0)"),
                      db.integer("SELECT count(*) FROM " + t + " WHERE account = 'shop'"))
                << t << " " << when;
        }
    };
    LedgerEntry bill{std::chrono::sys_seconds{std::chrono::seconds{1'717'200'000}},
                     "cancelOrder",
                     "SS1",
                     *Decimal::parse("0"),
                     *Decimal::parse("12.5"),
                     1,
                     "{}"};
    Category category;
    category.external_id = "C1";
    category.raw_json = R"({"id":"C1"})";
    Order order;
    order.external_id = "O1";
    order.status = OrderStatus::paid;
    order.raw_json = R"({"id":"O1"})";
    Country country{"US", "US", "United States", false, "[]", R"({"code":"US"})"};

    PageRecords first =
        image_page({"A1"}, {make_image("A1", 0, "front"), make_image("A1", 1, "back")});
    first.products = {make_product("A1"), make_product("A2"), make_product("A3")};
    first.categories = {category};
    first.stock_levels = {make_stock("R1", "SKU-A1")};
    first.orders = {order};
    first.ledger = {bill};
    first.countries = {country};
    EXPECT_EQ(apply(first).inserted, 10);
    expect_counts_match("after the first page");

    // Unchanged, changed, tombstoned and new rows; one image dropped from A1's set; the same
    // bill again and a second occurrence.
    PageRecords second = image_page({"A1"}, {make_image("A1", 0, "front")});
    second.products = {make_product("A1"), make_product("A2", "1.00"), make_product("A4")};
    second.deleted_product_ids = {"A3"};
    second.ledger = {bill, bill};
    second.ledger[1].occurrence = 2;
    second.countries = {country};
    apply(second, {{"page", 2}});
    expect_counts_match("after the second page");
    EXPECT_EQ(db.integer("SELECT records FROM record_counts WHERE tbl = 'products'"), 4);
    EXPECT_EQ(db.integer("SELECT records FROM record_counts WHERE tbl = 'images'"), 1);

    // A page that fails after some rows are written leaves the counts with its rows: neither.
    PageRecords failing;
    failing.products = {make_product("B1"), make_product("B2"), make_product("B3")};
    store_->fail_next_apply_after_rows_for_test(2);
    ASSERT_FALSE(store_->apply_page({"shop", "products"}, 0, failing, {{"page", 3}}).ok());
    expect_counts_match("after a failed page");
    EXPECT_EQ(db.integer("SELECT records FROM record_counts WHERE tbl = 'products'"), 4);
}

TEST_F(SqliteStoreTest, StatusCarriesTheAccountsBalanceOnEachOfItsStreams) {
    PageRecords page;
    page.balance = AccountBalance{*Decimal::parse("1234567890.0123456789"), "USD",
                                  UtcTime{std::chrono::seconds{1'717'200'000}}};
    apply(page, {{"page", 1}}, "account");
    apply(PageRecords{}, {{"page", 1}}, "products");
    auto status = store_->status();
    ASSERT_TRUE(status.ok()) << status.error().message;
    ASSERT_EQ(status->size(), 2u);
    for (const StreamStatus& s : *status) {
        ASSERT_TRUE(s.account_balance.has_value()) << s.stream;
        EXPECT_EQ(s.account_balance->balance.text(), "1234567890.0123456789");
        EXPECT_EQ(s.account_balance->currency, "USD");
        EXPECT_EQ(format_utc_iso(s.account_balance->observed_at), "2024-06-01T00:00:00Z");
    }
}

// --- dead letters -----------------------------------------------------------------------------

TEST_F(SqliteStoreTest, DeadLettersAreListedByFilterAndDismissedAllOrNothing) {
    PageRecords bad;
    bad.dead_letters.push_back(
        DeadLetter{"itemNo=A1", R"({"price":"x"})", "price is not a decimal"});
    bad.dead_letters.push_back(
        DeadLetter{"itemNo=A2", R"({"price":"y"})", "price is not a decimal"});
    apply(bad);
    PageRecords bad_category;
    bad_category.dead_letters.push_back(DeadLetter{"id=C1", "{}", "category without name"});
    apply(bad_category, {{"page", 1}}, "categories");

    auto all = store_->dead_letters({});
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 3u);
    EXPECT_EQ((*all)[0].record_key, "itemNo=A1");
    EXPECT_EQ((*all)[0].account, "shop");
    EXPECT_EQ((*all)[0].stream, "products");
    EXPECT_EQ((*all)[0].payload, R"({"price":"x"})");
    EXPECT_EQ((*all)[0].attempts, 1);
    EXPECT_EQ((*all)[0].last_seen_at, "2023-11-14T22:13:20Z");
    EXPECT_FALSE((*all)[0].resolved_at.has_value());
    DeadLetterFilter categories;
    categories.stream = "categories";
    EXPECT_EQ(store_->dead_letters(categories)->size(), 1u);
    DeadLetterFilter other_account;
    other_account.account = "elsewhere";
    EXPECT_TRUE(store_->dead_letters(other_account)->empty());

    // An unknown id refuses the whole call: A1 stays unresolved.
    auto refused = store_->dismiss_dead_letters({(*all)[0].id, 999});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::config);
    EXPECT_NE(refused.error().message.find("999"), std::string::npos);
    EXPECT_EQ(store_->dead_letters({})->size(), 3u);

    clock_.advance(1min);
    ASSERT_TRUE(store_->dismiss_dead_letters({(*all)[0].id, (*all)[2].id}).ok());
    auto open = store_->dead_letters({});
    ASSERT_EQ(open->size(), 1u);
    EXPECT_EQ((*open)[0].record_key, "itemNo=A2");
    DeadLetterFilter with_resolved;
    with_resolved.include_resolved = true;
    auto everything = store_->dead_letters(with_resolved);
    ASSERT_EQ(everything->size(), 3u);
    EXPECT_EQ((*everything)[0].resolved_at.value_or(""), "2023-11-14T22:14:20Z");
    // Already resolved: refused.
    EXPECT_FALSE(store_->dismiss_dead_letters({(*all)[0].id}).ok());

    // The record failing again reopens its own letter.
    apply(bad);
    EXPECT_EQ(store_->dead_letters({})->size(), 2u);
}

// --- stock levels -----------------------------------------------------------------------------

TEST_F(SqliteStoreTest, StockLevelsLinkToTheProductWithTheSameSku) {
    PageRecords stock;
    stock.stock_levels.push_back(make_stock("R1", "SKU-A1", "12.5000"));
    stock.stock_levels.push_back(make_stock("R2", "SKU-UNKNOWN"));
    EXPECT_EQ(apply(stock, {{"page", 1}}, "stock").inserted, 2);

    auto db = reader();
    EXPECT_EQ(db.text("SELECT quantity FROM stock_levels WHERE external_id = 'R1'"), "12.5");
    EXPECT_EQ(db.text("SELECT warehouse FROM stock_levels WHERE external_id = 'R1'"), "");
    EXPECT_EQ(db.text("SELECT product_external_id FROM stock_levels WHERE external_id = 'R1'"),
              "<null>");

    // The product arrives later: the line follows it.
    PageRecords products;
    products.products.push_back(make_product("A1"));
    apply(products);
    EXPECT_EQ(db.text("SELECT product_external_id FROM stock_levels WHERE external_id = 'R1'"),
              "A1");
    EXPECT_EQ(db.text("SELECT product_external_id FROM stock_levels WHERE external_id = 'R2'"),
              "<null>");

    // A line arriving after its product links at once, even in another account's absence.
    PageRecords more;
    more.stock_levels.push_back(make_stock("R3", "SKU-A1"));
    apply(more, {{"page", 2}}, "stock");
    EXPECT_EQ(db.text("SELECT product_external_id FROM stock_levels WHERE external_id = 'R3'"),
              "A1");

    // The product changes its sku: its old lines are unlinked.
    Product renamed = make_product("A1");
    renamed.sku = "SKU-A1-NEW";
    products.products[0] = renamed;
    apply(products);
    EXPECT_EQ(db.text("SELECT product_external_id FROM stock_levels WHERE external_id = 'R1'"),
              "<null>");
}

TEST_F(SqliteStoreTest, StockLevelsDoNotLinkAcrossAccounts) {
    ASSERT_TRUE(store_->register_account("other", "wangdiantong").ok());
    PageRecords products;
    products.products.push_back(make_product("A1"));
    apply(products);
    PageRecords stock;
    stock.stock_levels.push_back(make_stock("R1", "SKU-A1"));
    ASSERT_TRUE(store_->apply_page({"other", "stock"}, 0, stock, {{"page", 1}}).ok());
    EXPECT_EQ(reader().text("SELECT product_external_id FROM stock_levels"), "<null>");
}

// --- cursors, accounts, runs and status ---------------------------------------------------------

TEST_F(SqliteStoreTest, StatusJoinsCursorsRunsAccountsAndCounts) {
    ASSERT_TRUE(store_->register_account("wdt", "wangdiantong").ok());
    const StreamKey products{"shop", "products"};

    auto ok_run = store_->begin_run(products, UtcTime{std::chrono::seconds{1'700'000'000}});
    ASSERT_TRUE(ok_run.ok());
    PageRecords page;
    page.products.push_back(make_product("A1"));
    page.products.push_back(make_product("A2"));
    page.dead_letters.push_back(DeadLetter{"itemNo=BAD", "{}", "no price"});
    apply(page, {{"page", 3}}, "products", *ok_run);
    RunSummary ok;
    ok.finished_at = UtcTime{std::chrono::seconds{1'700'000'060}};
    ASSERT_TRUE(store_->finish_run(*ok_run, ok).ok());

    auto failed_run = store_->begin_run(products, UtcTime{std::chrono::seconds{1'700'000'300}});
    ASSERT_TRUE(failed_run.ok());
    RunSummary failed;
    failed.error = "transient: HTTP 502 from open.sunsky-online.com";
    failed.finished_at = UtcTime{std::chrono::seconds{1'700'000'330}};
    ASSERT_TRUE(store_->finish_run(*failed_run, failed).ok());

    // A stream that only ran (never committed a page) is listed too.
    auto stock_run =
        store_->begin_run({"wdt", "stock"}, UtcTime{std::chrono::seconds{1'700'000'400}});
    ASSERT_TRUE(stock_run.ok());
    ASSERT_TRUE(store_->set_account_state("wdt", "parked", "auth: sign error").ok());

    auto status = store_->status();
    ASSERT_TRUE(status.ok()) << status.error().message;
    ASSERT_EQ(status->size(), 2u);

    const StreamStatus& s = (*status)[0];
    EXPECT_EQ(s.account, "shop");
    EXPECT_EQ(s.platform, "sunsky");
    EXPECT_EQ(s.stream, "products");
    EXPECT_EQ(s.account_state, "ok");
    EXPECT_EQ(s.cursor, (nlohmann::json{{"page", 3}}));
    ASSERT_TRUE(s.cursor_updated_at.has_value());
    EXPECT_EQ(format_utc_iso(*s.cursor_updated_at), "2023-11-14T22:13:20Z");
    ASSERT_TRUE(s.last_run_started_at.has_value());
    EXPECT_EQ(format_utc_iso(*s.last_run_started_at), "2023-11-14T22:18:20Z");
    ASSERT_TRUE(s.last_success_at.has_value());
    EXPECT_EQ(format_utc_iso(*s.last_success_at), "2023-11-14T22:14:20Z");
    ASSERT_TRUE(s.last_error.has_value());
    EXPECT_EQ(*s.last_error, "transient: HTTP 502 from open.sunsky-online.com");
    ASSERT_TRUE(s.last_error_at.has_value());
    EXPECT_EQ(format_utc_iso(*s.last_error_at), "2023-11-14T22:18:50Z");
    EXPECT_EQ(s.records, 2);
    EXPECT_EQ(s.dead_letters, 1);

    const StreamStatus& w = (*status)[1];
    EXPECT_EQ(w.account, "wdt");
    EXPECT_EQ(w.stream, "stock");
    EXPECT_EQ(w.platform, "wangdiantong");
    EXPECT_EQ(w.account_state, "parked");
    EXPECT_EQ(w.account_state_reason, "auth: sign error");
    EXPECT_TRUE(w.cursor.is_null());
    EXPECT_FALSE(w.cursor_updated_at.has_value());
    EXPECT_FALSE(w.last_success_at.has_value());
    EXPECT_FALSE(w.last_error.has_value());
    EXPECT_EQ(w.records, 0);
}

// --- export -------------------------------------------------------------------------------------

TEST_F(SqliteStoreTest, ExportWritesOneJsonObjectPerRowInKeyOrder) {
    PageRecords page;
    page.products.push_back(make_product("B2", "1.10"));
    page.products.push_back(make_product("A1", "2.6600"));
    page.products[1].barcode = "";
    apply(page);

    std::ostringstream out;
    ASSERT_TRUE(store_->export_table("products", out).ok());
    std::istringstream lines(out.str());
    std::vector<nlohmann::json> rows;
    for (std::string line; std::getline(lines, line);) {
        rows.push_back(nlohmann::json::parse(line));
    }
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0]["external_id"], "A1");
    EXPECT_EQ(rows[0]["price"], "2.66");  // exact text, never a float
    EXPECT_EQ(rows[0]["stock"], 5);
    EXPECT_TRUE(rows[0]["barcode"].is_null());
    EXPECT_EQ(rows[0]["first_seen_at"], "2023-11-14T22:13:20Z");
    EXPECT_EQ(rows[1]["external_id"], "B2");
    EXPECT_EQ(rows[0].size(), 19u);   // every column, named as in the schema
    EXPECT_EQ(rows[0]["scope"], "");  // the rows of no pass
    EXPECT_TRUE(rows[0]["platform_status"].is_null());
}

TEST_F(SqliteStoreTest, ExportRefusesUnknownTablesListingTheKnownOnes) {
    std::ostringstream out;
    auto refused = store_->export_table("sqlite_master; DROP TABLE products", out);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().kind, ErrorKind::config);
    EXPECT_NE(refused.error().message.find("known tables are accounts, products, categories, "
                                           "stock_levels, orders, order_lines, images"),
              std::string::npos)
        << refused.error().message;
    EXPECT_TRUE(out.str().empty());
}

TEST_F(SqliteStoreTest, ReadsForAdaptersAndAccountStateKeepTheStoreContract) {
    check_adapter_reads_contract(*store_, clock_);
    // The secrets stay in their one table, and the file keeps its mode.
    EXPECT_EQ(reader().text("SELECT value FROM account_state WHERE name='token.refresh'"), "R1");
    EXPECT_EQ(std::filesystem::status(path_).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    std::ostringstream exported;
    EXPECT_EQ(store_->export_table("account_state", exported).error().kind, ErrorKind::config);
    EXPECT_TRUE(exported.str().empty());  // the secrets' table is never exported
    EXPECT_EQ(reader().text("SELECT scope FROM products WHERE external_id='s1'"), "skus");
    EXPECT_EQ(reader().text("SELECT platform_status FROM products WHERE external_id='a'"),
              "d2c=onsale;d2p=instock");
}

}  // namespace
}  // namespace csync::testing

namespace csync::testing {
namespace {

class RetentionTest : public StoreFixture {};

UtcTime at(std::int64_t s) { return UtcTime{std::chrono::seconds{s}}; }

// Old runs and old changes go; a stream's latest run, latest success and latest failure stay
// whatever their age (status reads them), and so does every change a consumer has not read.
TEST_F(RetentionTest, PrunesOldRunsAndReadChangesOnly) {
    const StreamKey key{"shop", "products"};
    std::vector<std::int64_t> runs;
    for (int i = 0; i < 10; ++i) {
        auto run = store_->begin_run(key, at(1'700'000'000 + i * 100));
        ASSERT_TRUE(run.ok());
        RunSummary s;
        s.finished_at = at(1'700'000'000 + i * 100 + 10);
        if (i == 3) s.error = "transient: HTTP 502";  // the latest failure
        ASSERT_TRUE(store_->finish_run(*run, s).ok());
        runs.push_back(*run);
    }
    for (int i = 0; i < 6; ++i) {
        PageRecords page;
        page.products.push_back(make_product("P" + std::to_string(i)));
        apply(page, {{"page", i}}, "products", runs[9]);
    }
    auto db = reader();
    ASSERT_EQ(db.integer("SELECT count(*) FROM changes"), 6);
    {
        SQLite::Database writer(path_, SQLite::OPEN_READWRITE);
        writer.exec(
            "INSERT INTO change_consumers (name, last_id) VALUES ('erp', "
            "(SELECT min(id) + 2 FROM changes))");
    }
    const auto status_before = store_->status();
    ASSERT_TRUE(status_before.ok());

    // Everything is older than both cut-offs, in batches of 2.
    SqliteStore::PruneCount total;
    for (int i = 0; i < 20; ++i) {
        auto n = store_->prune_batch(at(1'800'000'000), at(1'800'000'000), 2);
        ASSERT_TRUE(n.ok()) << n.error().message;
        total.runs += n->runs;
        total.changes += n->changes;
        if (n->runs == 0 && n->changes == 0) break;
    }
    EXPECT_EQ(total.runs, 8);     // all but the latest run (also the latest success) and failure
    EXPECT_EQ(total.changes, 3);  // up to and including the consumer's last_id
    EXPECT_EQ(db.integer("SELECT count(*) FROM sync_runs"), 2);
    EXPECT_EQ(db.integer("SELECT count(*) FROM sync_runs WHERE id IN (" + std::to_string(runs[3]) +
                         "," + std::to_string(runs[9]) + ")"),
              2);
    EXPECT_EQ(db.integer("SELECT count(*) FROM changes"), 3);
    EXPECT_EQ(db.integer("SELECT min(id) FROM changes"),
              db.integer("SELECT last_id + 1 FROM change_consumers"));

    // Status reads the same figures after pruning.
    const auto status_after = store_->status();
    ASSERT_TRUE(status_after.ok());
    ASSERT_EQ(status_after->size(), 1u);
    EXPECT_EQ((*status_after)[0].last_run_started_at, (*status_before)[0].last_run_started_at);
    EXPECT_EQ((*status_after)[0].last_success_at, (*status_before)[0].last_success_at);
    EXPECT_EQ((*status_after)[0].last_error, (*status_before)[0].last_error);
    EXPECT_EQ((*status_after)[0].records, 6);

    // Nothing newer than the cut-off goes.
    auto none = store_->prune_batch(at(1'600'000'000), at(1'600'000'000));
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(none->runs + none->changes, 0);
}

}  // namespace
}  // namespace csync::testing
