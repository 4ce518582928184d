// The unified catalogue (a shop account's products beside its linked ERP account's stock, by
// merchant code), its CSV export, and the per-account HTTP figures saved for `status`.
#include <sstream>

#include "store_test_support.hpp"

namespace csync::testing {
namespace {

class CatalogueTest : public StoreFixture {
  protected:
    void SetUp() override {
        StoreFixture::SetUp();
        ASSERT_TRUE(store_->register_account("erp", "wangdiantong").ok());
        ASSERT_TRUE(store_->register_account("other-shop", "sunsky").ok());

        PageRecords products;
        products.products.push_back(make_product("A1", "10.50"));
        products.products.push_back(make_product("B2", "3.00"));
        products.products.push_back(make_product("C3", "7"));  // the ERP does not know SKU-C3
        products.products[1].title = "Cable, \"braided\" 2m";
        apply(products);
        // Another shop with the same SKUs, not linked: it must not appear.
        PageRecords theirs;
        theirs.products.push_back(make_product("A1", "99"));
        ASSERT_TRUE(store_->apply_page({"other-shop", "products"}, 0, theirs, {{"page", 1}}).ok());

        PageRecords stock;
        stock.stock_levels.push_back(make_stock("R1", "SKU-A1", "12.5"));
        stock.stock_levels.push_back(make_stock("R2", "SKU-B2", "0"));
        stock.stock_levels.push_back(make_stock("R3", "SKU-Z9", "4"));  // no such product
        ASSERT_TRUE(store_->apply_page({"erp", "stock"}, 0, stock, {{"page", 1}}).ok());
    }

    std::vector<std::vector<std::string>> catalogue_rows() {
        SQLite::Database db(path_, SQLite::OPEN_READONLY);
        SQLite::Statement q(db,
                            "SELECT shop_account, erp_account, sku, title, price, platform_stock,"
                            " erp_stock FROM catalogue ORDER BY shop_account, sku");
        std::vector<std::vector<std::string>> rows;
        while (q.executeStep()) {
            std::vector<std::string> row;
            for (int i = 0; i < q.getColumnCount(); ++i) {
                row.push_back(q.getColumn(i).isNull() ? "<null>" : q.getColumn(i).getString());
            }
            rows.push_back(std::move(row));
        }
        return rows;
    }
};

TEST_F(CatalogueTest, ShowsOnlyLinkedPairsWithPlatformAndErpStockSideBySide) {
    EXPECT_TRUE(catalogue_rows().empty()) << "no link, no catalogue";
    ASSERT_TRUE(store_->set_account_links({{"shop", "erp"}}).ok());
    auto rows = catalogue_rows();
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0], (std::vector<std::string>{"shop", "erp", "SKU-A1", "Product A1", "10.5", "5",
                                                 "12.5"}));
    EXPECT_EQ(rows[1], (std::vector<std::string>{"shop", "erp", "SKU-B2", "Cable, \"braided\" 2m",
                                                 "3", "5", "0"}));
    EXPECT_EQ(rows[2], (std::vector<std::string>{"shop", "erp", "SKU-C3", "Product C3", "7", "5",
                                                 "<null>"}));
}

TEST_F(CatalogueTest, LinksMirrorTheLatestConfiguration) {
    ASSERT_TRUE(store_->set_account_links({{"shop", "erp"}, {"other-shop", "erp"}}).ok());
    EXPECT_EQ(catalogue_rows().size(), 4u);
    ASSERT_TRUE(store_->set_account_links({{"other-shop", "erp"}}).ok());
    auto rows = catalogue_rows();
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0], "other-shop");
    EXPECT_EQ(rows[0][6], "12.5");
    ASSERT_TRUE(store_->set_account_links({}).ok());
    EXPECT_TRUE(catalogue_rows().empty());
}

TEST_F(CatalogueTest, ExportsAsRfc4180Csv) {
    ASSERT_TRUE(store_->set_account_links({{"shop", "erp"}}).ok());
    std::ostringstream out;
    ASSERT_TRUE(store_->export_table("catalogue", out, ExportFormat::csv).ok());
    const std::string csv = out.str();
    EXPECT_EQ(csv.substr(0, csv.find("\r\n")),
              "shop_account,erp_account,sku,external_id,title,price,currency,status,"
              "platform_stock,erp_warehouse,erp_stock,erp_stock_seen_at");
    EXPECT_NE(csv.find("\r\nshop,erp,SKU-B2,B2,\"Cable, \"\"braided\"\" 2m\",3,USD,active,5,,0,"),
              std::string::npos)
        << csv;
    EXPECT_NE(csv.find("\r\nshop,erp,SKU-C3,C3,Product C3,7,USD,active,5,,,\r\n"),
              std::string::npos)
        << csv;
    // Header plus three rows, every line CRLF-terminated.
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\r'), 4);
}

TEST_F(CatalogueTest, AccountHttpFiguresRoundTripForTheStatusCommand) {
    AccountMetrics m;
    m.responses = {{200, 41}, {503, 2}};
    m.transport_errors = 3;
    m.rate_limit_wait_us = 1'500'000;
    ASSERT_TRUE(store_->save_account_metrics("shop", m).ok());
    m.responses[200] = 42;  // the next save replaces the figures
    ASSERT_TRUE(store_->save_account_metrics("shop", m).ok());
    auto read = store_->account_metrics();
    ASSERT_TRUE(read.ok()) << read.error().message;
    ASSERT_EQ(read->size(), 1u);
    const AccountMetrics& back = read->at("shop");
    EXPECT_EQ(back.responses, (std::map<int, std::int64_t>{{200, 42}, {503, 2}}));
    EXPECT_EQ(back.transport_errors, 3);
    EXPECT_EQ(back.rate_limit_wait_us, 1'500'000);
}

}  // namespace
}  // namespace csync::testing
