#pragma once
// A stream of an account whose configuration cannot be used (credentials the adapter cannot
// read): every page fails with the cause, so the runner reports it and the policy decides.

#include <utility>

#include "csync/ports/platform_adapter.hpp"

namespace csync {

class FailingStream final : public StreamSync {
  public:
    explicit FailingStream(Error error) : error_(std::move(error)) {}
    boost::asio::awaitable<Result<Page>> fetch_page(const nlohmann::json&) override {
        co_return error_;
    }

  private:
    Error error_;
};

}  // namespace csync
