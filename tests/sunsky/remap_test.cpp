// `dead-letters retry` for Sunsky: a letter's stored record is mapped again offline, with the
// account's current options; kinds that need the platform again are refused with what to do.
#include <gtest/gtest.h>

#include "fakes/fake_clock.hpp"
#include "sunsky/adapter.hpp"
#include "sunsky/product_page.hpp"

namespace csync::sunsky {
namespace {

using nlohmann::json;

// Re-mapping is offline: any request is a failure of the test.
class NoNetwork final : public HttpClient {
  public:
    boost::asio::awaitable<Result<HttpResponse>> send(HttpRequest request) override {
        ++sent;
        co_return Error::transient("no request may be sent, got one to " + request.url);
    }
    int sent = 0;
};

const char* const kUnknownStatusProduct =
    R"({"itemNo":"EDA004994405C","status":9,"price":"2.6600","stock":0,)"
    R"("gmtModified":"09/23/2023 02:01:02","name":"Charging Cable"})";

class SunskyRemapTest : public ::testing::Test {
  protected:
    SunskyRemapTest() {
        account.name = "sun";
        account.base_url = "http://sim.invalid";
        account.credentials = {{"key", "k"}, {"secret", "s"}};
    }

    SunskyAdapter adapter() {
        return SunskyAdapter(
            AdapterDeps{account, http, clock, *TimeZone::from_name("Asia/Shanghai")});
    }

    void keep_unknown_status() {
        StreamConfig products;
        products.name = kProductsStream;
        products.options = {{"keep_unknown_status", "true"}};
        account.streams.push_back(products);
    }

    AccountConfig account;
    NoNetwork http;
    csync::testing::FakeClock clock;
};

TEST_F(SunskyRemapTest, AProductStillUnmappableComesBackAsALetterWithItsReason) {
    auto remapped = adapter().remap_dead_letter(kProductsStream, kUnknownStatusProduct);
    ASSERT_TRUE(remapped.ok()) << remapped.error().message;
    EXPECT_TRUE(remapped->products.empty());
    ASSERT_EQ(remapped->dead_letters.size(), 1u);
    EXPECT_NE(remapped->dead_letters[0].error.find("unknown product status 9"), std::string::npos)
        << remapped->dead_letters[0].error;
    EXPECT_NE(remapped->dead_letters[0].error.find("keep_unknown_status"), std::string::npos);
    EXPECT_EQ(http.sent, 0);
}

TEST_F(SunskyRemapTest, AProductMapsWithTheAccountsCurrentOptions) {
    keep_unknown_status();
    auto remapped = adapter().remap_dead_letter(kProductsStream, kUnknownStatusProduct);
    ASSERT_TRUE(remapped.ok()) << remapped.error().message;
    EXPECT_TRUE(remapped->dead_letters.empty());
    ASSERT_EQ(remapped->products.size(), 1u);
    const Product& p = remapped->products[0];
    EXPECT_EQ(p.external_id, "EDA004994405C");
    EXPECT_EQ(p.status, ProductStatus::inactive);
    EXPECT_EQ(p.platform_status, "9");
    ASSERT_TRUE(p.price);
    EXPECT_EQ(p.price->text(), "2.66");
    // 02:01:02 in Shanghai is 18:01:02 UTC the day before: the account's zone applies.
    ASSERT_TRUE(p.source_modified_at);
    EXPECT_EQ(format_utc_iso(*p.source_modified_at), "2023-09-22T18:01:02Z");
    EXPECT_EQ(http.sent, 0);
}

TEST_F(SunskyRemapTest, CategoriesCountriesAndOrderDetailsMapAgain) {
    auto category = adapter().remap_dead_letter(
        kCategoriesStream, R"({"id":1032,"code":"003","name":"Phones","parentId":0,"status":1,)"
                           R"("gmtModified":"09/23/2023 02:01:02"})");
    ASSERT_TRUE(category.ok()) << category.error().message;
    ASSERT_EQ(category->categories.size(), 1u);
    EXPECT_EQ(category->categories[0].external_id, "1032");

    auto order = adapter().remap_dead_letter(
        "orders", R"({"number":"SO1","status":2,"totalAmount":"10.50","gmtCreated":)"
                  R"("06/01/2024 08:00","detailList":[{"itemNo":"A","qty":2,"price":"5.25"}]})");
    ASSERT_TRUE(order.ok()) << order.error().message;
    ASSERT_EQ(order->orders.size(), 1u);
    EXPECT_EQ(order->orders[0].status, OrderStatus::paid);
    ASSERT_EQ(order->orders[0].lines.size(), 1u);
    EXPECT_EQ(order->orders[0].total_amount->text(), "10.5");

    auto bad_order = adapter().remap_dead_letter(
        "orders", R"({"number":"SO1","status":2,"totalAmount":"ten","gmtCreated":)"
                  R"("06/01/2024 08:00","detailList":[]})");
    ASSERT_TRUE(bad_order.ok());
    ASSERT_EQ(bad_order->dead_letters.size(), 1u);
    EXPECT_NE(bad_order->dead_letters[0].error.find("not a decimal"), std::string::npos);
    EXPECT_EQ(http.sent, 0);
}

TEST_F(SunskyRemapTest, LettersThatNeedThePlatformAgainAreRefusedWithWhatToDo) {
    struct Case {
        const char* stream;
        const char* payload;
        const char* advice;
    };
    const Case cases[] = {
        {"images", R"({"itemNo":"A1","gmtModified":"09/23/2023 02:01:02"})",
         "reset-cursor sun images"},
        {"account", R"({"txType":"prepay","amount":"x"})", "reset-cursor sun account"},
        // A list row: its details were never read, so it would store an order without lines.
        {"orders", R"({"number":"SO1","status":2})", "reset-cursor sun orders"},
        {"products", "not json", "not JSON"},
    };
    for (const Case& c : cases) {
        auto refused = adapter().remap_dead_letter(c.stream, c.payload);
        ASSERT_FALSE(refused.ok()) << c.stream;
        EXPECT_EQ(refused.error().kind, ErrorKind::config);
        EXPECT_NE(refused.error().message.find(c.advice), std::string::npos)
            << refused.error().message;
    }
    EXPECT_EQ(http.sent, 0);
}

// The products reader keeps a record's own bytes as raw_json, and a letter's payload as the same
// bytes; a retried letter keeps them too, so reading the product again finds it unchanged (the
// store's change check covers raw_json) and writes no `update` row.
TEST_F(SunskyRemapTest, ARetriedProductKeepsThePlatformsBytesAsTheNextReadDoes) {
    // Keys in the platform's order and spacing, not nlohmann's sorted compact form.
    const std::string record = std::string(R"({"itemNo": "EDA004994405C", "status": 9, )") +
                               R"("price": "2.6600", "stock": 0, )" +
                               R"("gmtModified": "09/23/2023 02:01:02", "name": "Charging Cable"})";
    HttpResponse response;
    response.status = 200;
    response.body =
        R"({"result":"success","data":{"pageCount":1,"total":1,"result":[)" + record + "]}}";
    const TimeZone zone = *TimeZone::from_name("Asia/Shanghai");
    ProductPageReader reader;
    ProductPage letters;
    ASSERT_TRUE(reader.read(response, zone, clock.now(), letters).ok());
    ASSERT_EQ(letters.dead_letters.size(), 1u);
    EXPECT_EQ(letters.dead_letters[0].payload, record);

    keep_unknown_status();
    auto remapped = adapter().remap_dead_letter(kProductsStream, letters.dead_letters[0].payload);
    ASSERT_TRUE(remapped.ok()) << remapped.error().message;
    ASSERT_EQ(remapped->products.size(), 1u);
    ProductPage reread;
    ASSERT_TRUE(
        reader.read(response, zone, clock.now(), reread, /*keep_unknown_status=*/true).ok());
    ASSERT_EQ(reread.products.size(), 1u);
    const Product& retried = remapped->products[0];
    const Product& read = reread.products[0];
    EXPECT_EQ(retried.raw_json, record);
    EXPECT_EQ(read.raw_json, retried.raw_json);
    EXPECT_EQ(read.external_id, retried.external_id);
    EXPECT_EQ(read.status, retried.status);
    EXPECT_EQ(read.platform_status, retried.platform_status);
    EXPECT_EQ(read.price, retried.price);
    EXPECT_EQ(read.source_modified_at, retried.source_modified_at);
}

}  // namespace
}  // namespace csync::sunsky
