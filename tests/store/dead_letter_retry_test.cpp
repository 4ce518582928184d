// `dead-letters retry` in the store: the re-mapped records and the letter's resolution commit in
// one transaction that never touches a stream cursor, or nothing changes.

#include <gtest/gtest.h>

#include "store_test_support.hpp"

namespace csync::testing {
namespace {

using namespace std::chrono_literals;

class DeadLetterRetryTest : public StoreFixture {
  protected:
    // One letter for itemNo=A1 on the products stream, whose cursor is {"page": 7}.
    std::int64_t park_a1() {
        PageRecords bad;
        bad.dead_letters.push_back(DeadLetter{"itemNo=A1", kPayload, "unknown product status 9"});
        apply(bad, {{"page", 7}});
        auto letters = store_->dead_letters({});
        if (!letters.ok() || letters->size() != 1) {
            ADD_FAILURE() << "expected one letter";
            return 0;
        }
        return (*letters)[0].id;
    }

    static PageRecords remapped_a1() {
        PageRecords records;
        records.products.push_back(make_product("A1"));
        return records;
    }

    static constexpr const char* kPayload = R"({"itemNo":"A1","status":9})";
};

TEST_F(DeadLetterRetryTest, StoresTheRecordsAndResolvesTheLetterWithoutTouchingTheCursor) {
    const std::int64_t id = park_a1();
    clock_.advance(1min);
    auto db = reader();
    const std::string cursor_time = db.text("SELECT updated_at FROM sync_state");

    auto applied = store_->apply_dead_letter_retry(id, kPayload, remapped_a1());
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    EXPECT_EQ(applied->inserted, 1);

    EXPECT_EQ(db.integer("SELECT count(*) FROM products WHERE external_id = 'A1'"), 1);
    EXPECT_EQ(db.text("SELECT op FROM changes WHERE external_id = 'A1'"), "insert");
    // Counted as a page's rows are: status must see the stored product.
    EXPECT_EQ(db.integer("SELECT records FROM record_counts WHERE tbl = 'products'"), 1);
    EXPECT_EQ(db.text("SELECT resolved_at FROM dead_letters"), "2023-11-14T22:14:20Z");
    EXPECT_EQ(db.text("SELECT cursor FROM sync_state"), R"({"page":7})");
    EXPECT_EQ(db.text("SELECT updated_at FROM sync_state"), cursor_time);
    EXPECT_EQ(db.integer("SELECT count(*) FROM sync_state"), 1);

    auto letter = store_->dead_letter(id);
    ASSERT_TRUE(letter.ok());
    ASSERT_TRUE(letter->has_value());
    EXPECT_EQ((*letter)->resolved_at.value_or(""), "2023-11-14T22:14:20Z");
    EXPECT_FALSE(store_->dead_letter(id + 100)->has_value());
}

TEST_F(DeadLetterRetryTest, AFailureMidApplyLeavesTheLetterUnresolvedAndNoRecord) {
    const std::int64_t id = park_a1();
    PageRecords records = remapped_a1();
    records.products.push_back(make_product("A1-variant"));

    store_->fail_next_apply_after_rows_for_test(1);  // the first product is written, then a throw
    auto failed = store_->apply_dead_letter_retry(id, kPayload, records);
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().kind, ErrorKind::storage);
    EXPECT_NE(failed.error().message.find("retrying dead letter " + std::to_string(id)),
              std::string::npos)
        << failed.error().message;

    auto db = reader();
    EXPECT_EQ(db.integer("SELECT count(*) FROM products"), 0);
    EXPECT_EQ(db.integer("SELECT count(*) FROM changes"), 0);
    EXPECT_EQ(db.text("SELECT resolved_at FROM dead_letters"), "<null>");

    // Nothing was half-done: the same retry now commits whole.
    ASSERT_TRUE(store_->apply_dead_letter_retry(id, kPayload, records).ok());
    EXPECT_EQ(db.integer("SELECT count(*) FROM products"), 2);
    EXPECT_NE(db.text("SELECT resolved_at FROM dead_letters"), "<null>");
}

TEST_F(DeadLetterRetryTest, ALetterThatChangedOrResolvedMeanwhileIsNotApplied) {
    const std::int64_t id = park_a1();
    // The daemon met the record again with another payload since the letter was read.
    PageRecords again;
    again.dead_letters.push_back(
        DeadLetter{"itemNo=A1", R"({"itemNo":"A1","status":10})", "unknown product status 10"});
    apply(again, {{"page", 8}});
    auto changed = store_->apply_dead_letter_retry(id, kPayload, remapped_a1());
    ASSERT_FALSE(changed.ok());
    EXPECT_EQ(changed.error().kind, ErrorKind::config);
    EXPECT_NE(changed.error().message.find("changed while it was retried"), std::string::npos)
        << changed.error().message;
    auto db = reader();
    EXPECT_EQ(db.integer("SELECT count(*) FROM products"), 0);

    ASSERT_TRUE(store_->dismiss_dead_letters({id}).ok());
    auto resolved =
        store_->apply_dead_letter_retry(id, R"({"itemNo":"A1","status":10})", remapped_a1());
    ASSERT_FALSE(resolved.ok());
    EXPECT_NE(resolved.error().message.find("already resolved"), std::string::npos);
    auto unknown = store_->apply_dead_letter_retry(id + 100, kPayload, remapped_a1());
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().message.find("is unknown"), std::string::npos);
    EXPECT_EQ(db.integer("SELECT count(*) FROM products"), 0);
}

TEST_F(DeadLetterRetryTest, ARetryNeverParksOrDownloads) {
    const std::int64_t id = park_a1();
    PageRecords letters;
    letters.dead_letters.push_back(DeadLetter{"itemNo=A1", kPayload, "still bad"});
    EXPECT_EQ(store_->apply_dead_letter_retry(id, kPayload, letters).error().kind,
              ErrorKind::config);
    PageRecords images;
    images.replaced_image_sets.push_back("A1");
    EXPECT_EQ(store_->apply_dead_letter_retry(id, kPayload, images).error().kind,
              ErrorKind::config);
    EXPECT_EQ(reader().text("SELECT resolved_at FROM dead_letters"), "<null>");
}

TEST_F(DeadLetterRetryTest, AStillFailingLetterKeepsItsPlaceWithTheNewReason) {
    const std::int64_t id = park_a1();
    clock_.advance(2min);
    ASSERT_TRUE(store_->record_dead_letter_retry_failure(id, "unknown product status 9 (v2)").ok());
    auto db = reader();
    EXPECT_EQ(db.text("SELECT error FROM dead_letters"), "unknown product status 9 (v2)");
    EXPECT_EQ(db.integer("SELECT attempts FROM dead_letters"), 2);
    EXPECT_EQ(db.text("SELECT last_seen_at FROM dead_letters"), "2023-11-14T22:15:20Z");
    EXPECT_EQ(db.text("SELECT resolved_at FROM dead_letters"), "<null>");
    EXPECT_EQ(db.text("SELECT payload FROM dead_letters"), kPayload);

    ASSERT_TRUE(store_->dismiss_dead_letters({id}).ok());
    EXPECT_EQ(store_->record_dead_letter_retry_failure(id, "x").error().kind, ErrorKind::config);
}

}  // namespace
}  // namespace csync::testing
