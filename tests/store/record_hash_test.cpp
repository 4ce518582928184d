// Content hashes decide insert / update / unchanged: equal records hash alike, any field change
// (raw_json included) changes the hash, and no two field layouts collide.

#include <gtest/gtest.h>

#include "store/record_hash.hpp"
#include "store_test_support.hpp"

namespace csync::testing {
namespace {

using store::record_hash;

TEST(RecordHash, IsSixteenHexCharsAndStable) {
    const Product p = make_product("A1");
    const std::string h = record_hash(p);
    EXPECT_EQ(h.size(), 16u);
    EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(record_hash(make_product("A1")), h);
}

TEST(RecordHash, EveryProductFieldCounts) {
    const Product base = make_product("A1");
    const std::string h = record_hash(base);
    auto changed = [&](auto mutate) {
        Product p = base;
        mutate(p);
        return record_hash(p);
    };
    EXPECT_NE(changed([](Product& p) { p.price = dec("9.98"); }), h);
    EXPECT_NE(changed([](Product& p) { p.price.reset(); }), h);
    EXPECT_NE(changed([](Product& p) { p.stock = 6; }), h);
    EXPECT_NE(changed([](Product& p) { p.stock.reset(); }), h);
    EXPECT_NE(changed([](Product& p) { p.status = ProductStatus::out_of_stock; }), h);
    EXPECT_NE(changed([](Product& p) { p.title += " "; }), h);
    EXPECT_NE(changed([](Product& p) { p.barcode = "123"; }), h);
    EXPECT_NE(changed([](Product& p) { p.source_modified_at.reset(); }), h);
    EXPECT_NE(changed([](Product& p) { p.raw_json += " "; }), h);
}

TEST(RecordHash, FieldBoundariesCannotShift) {
    // "ab" + "c" and "a" + "bc" must not serialize alike.
    Product a = make_product("A1");
    Product b = a;
    a.title = "ab";
    a.brand = "c";
    b.title = "a";
    b.brand = "bc";
    EXPECT_NE(record_hash(a), record_hash(b));
    // Absent is not the same as a zero / empty-looking value.
    Product none = make_product("A1");
    Product zero = none;
    none.stock.reset();
    zero.stock = 0;
    EXPECT_NE(record_hash(none), record_hash(zero));
}

TEST(RecordHash, OrderLinesCount) {
    Order o;
    o.external_id = "O1";
    o.raw_json = "{}";
    o.lines.push_back(OrderLine{"1", "SKU-1", "Widget", dec("2"), dec("1.50"), dec("3")});
    const std::string h = record_hash(o);
    o.lines[0].quantity = dec("3");
    EXPECT_NE(record_hash(o), h);
    o.lines[0].quantity = dec("2");
    EXPECT_EQ(record_hash(o), h);
    o.lines.push_back(o.lines[0]);
    EXPECT_NE(record_hash(o), h);
}

TEST(RecordHash, KindsAreSeparatedAndTombstonesDiffer) {
    Category c;
    c.external_id = "A1";
    StockLevel s;
    s.external_id = "A1";
    EXPECT_NE(record_hash(c), record_hash(s));
    const std::string h = record_hash(make_product("A1"));
    EXPECT_NE(store::tombstone_hash(h), h);
    EXPECT_EQ(store::tombstone_hash(h), store::tombstone_hash(h));
}

}  // namespace
}  // namespace csync::testing
