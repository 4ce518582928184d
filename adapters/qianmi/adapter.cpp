#include "qianmi/adapter.hpp"

#include <utility>

#include "core/failing_stream.hpp"
#include "core/platform_call.hpp"
#include "log/log.hpp"
#include "qianmi/items_stream.hpp"
#include "qianmi/spec.hpp"

namespace csync::qianmi {
namespace {

UtcTime now_seconds(Clock& clock) { return std::chrono::floor<std::chrono::seconds>(clock.now()); }

std::string credential(const AccountConfig& account, const char* name) {
    auto it = account.credentials.find(name);
    return it == account.credentials.end() ? std::string() : it->second;
}

}  // namespace

Client::Client(const AdapterDeps& deps, Credentials credentials)
    : account_(deps.account),
      http_(deps.http),
      clock_(deps.clock),
      creds_(std::move(credentials)),
      gateway_url_(deps.account.base_url.empty() ? std::string(kDefaultGatewayUrl)
                                                 : deps.account.base_url),
      token_url_(deps.account.option(kTokenUrlOption, std::string(kDefaultTokenUrl))) {
    TokenManagerOptions options;
    options.account = account_.name;
    options.configured = {creds_.access_token, creds_.refresh_token, std::nullopt, std::nullopt};
    options.configured_source = creds_.refresh_token;
    options.initial_state = deps.account_state;
    options.store = deps.store;
    options.reauthorize_hint = kReauthorizeHint;
    tokens_ = std::make_unique<TokenManager>(
        clock_, std::move(options),
        [this](csync::TokenPair current) { return refresh(std::move(current)); });
}

void Client::prepare(HttpRequest& request) const {
    request.connection_key = "qianmi:" + account_.name;
    request.timeout = account_.request_timeout;
}

boost::asio::awaitable<Result<csync::TokenPair>> Client::refresh(csync::TokenPair current) {
    auto request = build_refresh_request(token_url_, creds_, current.refresh_token);
    if (!request.ok()) co_return request.error();
    prepare(*request);
    auto response = co_await http_.send(std::move(request.value()));
    token_requests_ += requests_sent(response);
    if (!response.ok()) co_return response.error();
    const UtcTime at = now_seconds(clock_);
    auto pair = read_refresh_response(*response, current.refresh_token, at);
    if (!pair.ok()) co_return pair.error();
    csync::TokenPair out{pair->access_token, pair->refresh_token, std::nullopt, pair->obtained_at};
    if (pair->expires_in) out.expires_at = pair->obtained_at + *pair->expires_in;
    log::root()
        .with("account", account_.name)
        .info(
            "access token refreshed (refresh token "
            "rotated, stored in the account state)");
    co_return out;
}

boost::asio::awaitable<Result<nlohmann::json>> Client::call(std::string method, Params business,
                                                            std::int64_t& requests, Reader reader) {
    PlatformCall steps;
    steps.build = [this, &method, &business](const std::string& token) -> Result<HttpRequest> {
        auto request =
            build_request(gateway_url_, creds_, token, method, business, now_seconds(clock_));
        if (request.ok()) prepare(*request);
        return request;
    };
    steps.read = [&method, &reader](const HttpResponse& response) -> Result<nlohmann::json> {
        if (!reader) return read_envelope(response, method);
        if (Status read = reader(response); !read.ok()) return read.error();
        return nlohmann::json();
    };
    auto data = co_await call_platform(http_, tokens_.get(), steps, requests);
    requests += std::exchange(token_requests_, 0);
    co_return data;
}

namespace {

class QianmiAdapter final : public PlatformAdapter {
  public:
    explicit QianmiAdapter(AdapterDeps deps)
        : deps_(std::move(deps)), creds_(credentials_from(deps_.account.credentials)) {
        if (creds_.ok()) client_ = std::make_shared<Client>(deps_, *creds_);
    }

    const PlatformSpec& spec() const override { return platform_spec(); }

    StreamSyncPtr make_stream(const StreamConfig& stream) override {
        if (!client_) return std::make_unique<FailingStream>(creds_.error());
        log::Logger logger =
            log::root().with("account", deps_.account.name).with("stream", stream.name);
        return make_items_stream(client_, deps_.store, deps_.clock, items_options(stream),
                                 std::move(logger));
    }

    Result<HttpRequest> build_raw_call(const RawCall& call) const override {
        if (!creds_.ok()) return creds_.error();
        auto request = qianmi::build_raw_call(client_->gateway_url(), *creds_,
                                              client_->tokens().current_access_token(), call,
                                              now_seconds(deps_.clock));
        if (request.ok()) client_->prepare(*request);
        return request;
    }

    Status read_raw_response(const HttpResponse& response) const override {
        // The method is not at hand here: the envelope is found as the SDK finds it (the first
        // object member).
        return qianmi::read_raw_response(response, "");
    }

    std::vector<std::string> secret_values() const override {
        std::vector<std::string> out;
        for (const char* name : {"app_key", "app_secret", "access_token", "refresh_token"}) {
            if (auto v = credential(deps_.account, name); !v.empty()) out.push_back(v);
        }
        if (client_) {
            for (auto& v : client_->tokens().secret_values()) out.push_back(std::move(v));
        }
        return out;
    }

  private:
    AdapterDeps deps_;
    Result<Credentials> creds_;
    std::shared_ptr<Client> client_;
};

}  // namespace

PlatformAdapterPtr make_adapter(AdapterDeps deps) {
    return std::make_unique<QianmiAdapter>(std::move(deps));
}

}  // namespace csync::qianmi
