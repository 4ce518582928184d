// The `goods` stream: a full pass by page number into `products` (goods:<id>, scope "goods") with
// stock and an exact price in either unit; goods gone from a complete, stable pass are marked
// deleted, the product library's rows never; a pass during which the listing changed deletes
// nothing.

#include "wshoto/goods.hpp"
#include "rig.hpp"

namespace csync::wshoto::test {
namespace {

using namespace std::chrono_literals;

using Readings = std::map<std::string, std::string>;

struct GoodsRig : Rig {
    explicit GoodsRig(std::map<std::string, std::string> readings = {},
                      std::map<std::string, std::string> options = {})
        : Rig(10, std::move(readings)) {
        stream.name = "goods";
        stream.page_size = 7;
        stream.options = std::move(options);
        restart();
    }
    std::map<std::string, Product> live_goods() const {
        std::map<std::string, Product> out;
        for (const Product& p : store.products(kAccount)) {
            if (p.scope == kGoodsScope && p.status != ProductStatus::deleted) {
                out[p.external_id] = p;
            }
        }
        return out;
    }
    void expect_store_equals_truth() {
        const auto stored = live_goods();
        const json truth = sim->mall().goods_truth();
        EXPECT_EQ(stored.size(), truth.size());
        for (const json& g : truth) {
            auto it = stored.find("goods:" + g["id"].dump());
            if (it == stored.end()) {
                ADD_FAILURE() << "missed goods " << g["id"];
                continue;
            }
            EXPECT_EQ(it->second.stock, g["stock_num"].get<std::int64_t>());
            ASSERT_TRUE(it->second.price.has_value());
            EXPECT_EQ(it->second.price->text(), g["price"]);
            EXPECT_EQ(it->second.currency, "CNY");
            EXPECT_EQ(it->second.platform_status, g["up_status"].dump());
        }
    }
};

TEST(GoodsMapping, StockPriceAndStatus) {
    auto mapped = map_goods(
        json{{"id", 42}, {"goods_name", "g"}, {"stock_num", 0}, {"price", 1999}, {"up_status", 11}},
        MoneyUnit::fen);
    ASSERT_TRUE(std::holds_alternative<Product>(mapped));
    const Product& p = std::get<Product>(mapped);
    EXPECT_EQ(p.external_id, "goods:42");
    EXPECT_EQ(p.price->text(), "19.99");
    EXPECT_EQ(p.stock, 0);
    EXPECT_EQ(p.status, ProductStatus::out_of_stock);
    EXPECT_EQ(p.scope, kGoodsScope);
    EXPECT_TRUE(
        std::holds_alternative<DeadLetter>(map_goods(json{{"goods_name", "x"}}, MoneyUnit::fen)));
}

TEST(GoodsStream, APassStoresEveryGoodsWithStockAndPrice) {
    GoodsRig rig;
    auto pages = rig.pass();
    rig.expect_store_equals_truth();
    EXPECT_TRUE(pages.back().cycle_done);
}

TEST(GoodsStream, YuanPricesWithTheYuanOption) {
    GoodsRig rig(Readings{{"goods_unit", "yuan"}}, {{"unit", "yuan"}});
    rig.pass();
    rig.expect_store_equals_truth();
}

TEST(GoodsStream, GoodsGoneFromACompletePassAreDeletedAndProductsAreNot) {
    GoodsRig rig;
    // A product-library row of the same account: another scope, never this stream's to delete.
    rig.stream.name = "products";
    rig.restart();
    rig.cursor = json();
    rig.pass();
    const auto products_before = rig.stored_live();
    rig.stream.name = "goods";
    rig.restart();
    rig.cursor = json();
    rig.pass();
    const json truth = rig.sim->mall().goods_truth();
    const std::int64_t gone = truth[3]["id"].get<std::int64_t>();
    ASSERT_TRUE(rig.sim->mall().delete_goods(gone));
    rig.clock.advance(2s);
    rig.pass();
    rig.expect_store_equals_truth();
    EXPECT_EQ(rig.stored()["goods:" + std::to_string(gone)].status, ProductStatus::deleted);
    for (const std::string& id : products_before)
        EXPECT_NE(rig.stored()[id].status, ProductStatus::deleted) << id;
}

TEST(GoodsStream, APassDuringWhichTheListingChangedDeletesNothing) {
    GoodsRig rig;
    rig.pass();
    rig.clock.advance(2s);
    const json truth = rig.sim->mall().goods_truth();
    rig.step();  // page 1 of the next pass
    // Removed while the pass pages: the rows after it shift up; one of them is not listed.
    ASSERT_TRUE(rig.sim->mall().delete_goods(truth[2]["id"].get<std::int64_t>()));
    while (!rig.step().cycle_done) {
    }
    EXPECT_EQ(rig.store.tombstones_written(), 0);
    rig.clock.advance(2s);
    rig.pass();  // a stable pass: now the removal shows
    EXPECT_EQ(rig.store.tombstones_written(), 1);
    rig.expect_store_equals_truth();
}

}  // namespace
}  // namespace csync::wshoto::test
