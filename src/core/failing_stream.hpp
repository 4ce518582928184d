#pragma once
// A stream of an account whose configuration cannot be used (missing credentials, unreadable
// platform options): every page fails with the cause, so the account reports it instead of
// syncing.

#include <utility>

#include "csync/ports/platform_adapter.hpp"

namespace csync {

class FailingStream final : public StreamSync {
  public:
    explicit FailingStream(Error cause) : cause_(std::move(cause)) {}
    boost::asio::awaitable<Result<Page>> fetch_page(const nlohmann::json&) override {
        co_return cause_;
    }

  private:
    Error cause_;
};

}  // namespace csync
