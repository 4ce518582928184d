#pragma once
// The Sunsky PlatformAdapter: the `products` stream (watermark loop, see watermark.hpp) and the
// `categories` stream (category!getChildren.do with gmtModifiedStart), the `orders` stream (day
// windows, see orders.hpp), plus raw signed calls.

#include <string>
#include <vector>

#include "csync/ports/platform_adapter.hpp"
#include "sunsky/protocol.hpp"

namespace csync::sunsky {

inline constexpr const char* kProductsStream = "products";
inline constexpr const char* kCategoriesStream = "categories";
// Where a first products/categories cycle starts when the stream option does not say.
inline constexpr const char* kDefaultModifiedSince = "01/01/2000 00:00:00";

const PlatformSpec& platform_spec();

class SunskyAdapter final : public PlatformAdapter {
  public:
    explicit SunskyAdapter(AdapterDeps deps);

    const PlatformSpec& spec() const override { return platform_spec(); }
    StreamSyncPtr make_stream(const StreamConfig& stream) override;
    // -p NAME=VALUE become form fields; `key` and `signature` are added. Sunsky signs no
    // timestamp, so --at changes nothing; it has no JSON body, so --body is refused.
    Result<HttpRequest> build_raw_call(const RawCall& call) const override;
    Status read_raw_response(const HttpResponse& response) const override;
    // The secret, and the key: it identifies the merchant's account and travels in every body.
    std::vector<std::string> secret_values() const override;
    // Products, categories, countries and order details map again from the stored record;
    // image, ledger and order-list-row letters need the platform (the message says how).
    Result<PageRecords> remap_dead_letter(const std::string& stream,
                                          const std::string& payload) const override;

  private:
    AdapterDeps deps_;
    Credentials credentials_;
};

}  // namespace csync::sunsky
