#include "wshoto/adapter.hpp"

#include <utility>

#include "core/failing_stream.hpp"
#include "core/json_util.hpp"
#include "core/platform_call.hpp"
#include "log/log.hpp"
#include "wshoto/goods.hpp"
#include "wshoto/orders.hpp"
#include "wshoto/spec.hpp"
#include "wshoto/streams.hpp"

namespace csync::wshoto {

namespace asio = boost::asio;
using nlohmann::json;

Client::Client(const AdapterDeps& deps, Credentials credentials, ErrorCodes codes,
               std::chrono::milliseconds token_min_interval)
    : account_(deps.account),
      http_(deps.http),
      clock_(deps.clock),
      creds_(std::move(credentials)),
      codes_(std::move(codes)),
      token_min_interval_(token_min_interval),
      base_url_(deps.account.base_url.empty() ? std::string(kDefaultBaseUrl)
                                              : deps.account.base_url) {
    TokenManagerOptions options;
    options.account = account_.name;
    // A stored token belongs to the appid and secret it was fetched with.
    options.configured_source = creds_.appid + "\n" + creds_.app_secret;
    options.initial_state = deps.account_state;
    options.store = deps.store;
    options.reauthorize_hint = kReauthorizeHint;
    options.expiry_margin = kExpiryMargin;
    tokens_ = std::make_unique<TokenManager>(
        clock_, std::move(options), [this](TokenPair current) { return fetch_token(current); });
}

void Client::prepare(HttpRequest& request) const {
    request.connection_key = "wshoto:" + account_.name;
    request.timeout = account_.request_timeout;
}

asio::awaitable<Result<TokenPair>> Client::fetch_token(TokenPair current) {
    const auto now = clock_.now();
    if (last_token_call_ && now - *last_token_call_ < token_min_interval_) {
        const bool rejected =
            !current.access_token.empty() && current.access_token == rejected_token_;
        // Near its end but still valid: keep using it rather than call the endpoint again.
        if (!rejected && !current.access_token.empty() && current.expires_at &&
            now < *current.expires_at) {
            co_return current;
        }
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
            token_min_interval_ - (now - *last_token_call_));
        co_return Error::rate_limited(
            "wshoto: the token endpoint was called less than token_min_interval ago; waiting "
            "before calling it again",
            wait);
    }
    auto request = build_token_request(base_url_, creds_);
    prepare(request);
    last_token_call_ = now;
    ++token_calls_;
    auto response = co_await http_.send(std::move(request));
    token_requests_ += requests_sent(response);
    if (!response.ok()) co_return response.error();
    auto issued = read_token_response(*response, codes_);
    if (!issued.ok()) co_return issued.error();
    log::root().with("account", account_.name).info("access token fetched");
    // Issued at create_at: the expiry margin is bounded by the token's real lifetime.
    co_return TokenPair{issued->access_token, "", token_expires_at(*issued),
                        UtcTime{std::chrono::seconds{issued->create_at}}};
}

asio::awaitable<Result<std::string>> Client::fetch_unstored_token() {
    // A named pair: GCC 12 frees a temporary coroutine argument twice.
    TokenPair none;
    auto issued = co_await fetch_token(std::move(none));
    if (!issued.ok()) co_return issued.error();
    co_return issued->access_token;
}

asio::awaitable<Result<json>> Client::call(std::string_view path, json body, std::int64_t& requests,
                                           Reader reader, std::string method) {
    PlatformCall steps;
    // The token this call was sent with: another call may have replaced the current one while
    // this one was in flight.
    std::string sent_with;
    steps.build = [this, path, &body, &sent_with,
                   &method](const std::string& token) -> Result<HttpRequest> {
        sent_with = token;
        auto request = build_call(base_url_, path, token, body, method);
        prepare(request);
        return request;
    };
    steps.read = [this, path, &reader, &sent_with](const HttpResponse& response) {
        auto data = reader ? reader(response) : read_envelope(response, codes_, path);
        if (!data.ok() && data.error().kind == ErrorKind::token_expired)
            rejected_token_ = sent_with;
        return data;
    };
    auto data = co_await call_platform(http_, tokens_.get(), steps, requests);
    requests += std::exchange(token_requests_, 0);
    co_return data;
}

namespace {

struct AccountSettings {
    ErrorCodes codes;
    std::chrono::milliseconds token_min_interval{60'000};
};

Result<AccountSettings> settings_from(const AccountConfig& account) {
    AccountSettings s;
    auto auth =
        parse_code_list(account.option(kAuthCodesOption, kDefaultAuthCodes), kAuthCodesOption);
    if (!auth.ok()) return auth.error();
    s.codes.auth = std::move(*auth);
    // Durations reach adapters as whole milliseconds (the loader normalizes them).
    if (auto text = account.option(kTokenMinIntervalOption); !text.empty()) {
        auto ms = parse_code_list(text, kTokenMinIntervalOption);
        if (!ms.ok() || ms->size() != 1 || *ms->begin() < 0) {
            return Error::config("wshoto option `token_min_interval`: `" + text +
                                 "` is not a duration");
        }
        s.token_min_interval = std::chrono::milliseconds{*ms->begin()};
    }
    return s;
}

class WshotoAdapter final : public PlatformAdapter {
  public:
    explicit WshotoAdapter(AdapterDeps deps)
        : deps_(std::move(deps)),
          creds_(credentials_from(deps_.account.credentials)),
          settings_(settings_from(deps_.account)) {
        if (creds_.ok() && settings_.ok()) {
            client_ = std::make_shared<Client>(deps_, *creds_, settings_->codes,
                                               settings_->token_min_interval);
        }
    }

    const PlatformSpec& spec() const override { return platform_spec(); }

    StreamSyncPtr make_stream(const StreamConfig& stream) override {
        if (!creds_.ok()) return std::make_unique<FailingStream>(creds_.error());
        if (!settings_.ok()) return std::make_unique<FailingStream>(settings_.error());
        log::Logger logger =
            log::root().with("account", deps_.account.name).with("stream", stream.name);
        if (stream.name == kOrdersStream) {
            return make_orders_stream(client_, deps_.zone, deps_.clock, stream, std::move(logger));
        }
        if (stream.name == kGoodsStream) {
            return make_goods_stream(client_, deps_.store, deps_.clock, stream, std::move(logger));
        }
        return make_stream_sync(client_, deps_.store, deps_.clock, stream, std::move(logger));
    }

    Result<HttpRequest> build_raw_call(const RawCall& call) const override {
        return raw_request(call, client_ ? client_->tokens().current_access_token() : "", "");
    }

    // The stored token when there is one, else one fetched; a token refused as expired is
    // fetched again once; a GET the platform refuses (405/501) is sent again as POST.
    asio::awaitable<std::optional<Result<HttpResponse>>> send_raw_call(
        const RawCall& call) override {
        using Answer = std::optional<Result<HttpResponse>>;
        if (!client_) co_return std::nullopt;
        std::string token = client_->tokens().current_access_token();
        if (token.empty()) {
            auto fetched = co_await client_->fetch_unstored_token();
            if (!fetched.ok()) co_return Answer(fetched.error());
            token = std::move(*fetched);
        }
        std::string method;
        bool refetched = false;
        Result<HttpResponse> response = Error::config("wshoto api: nothing sent");
        for (int attempt = 0; attempt < 3; ++attempt) {
            auto request = raw_request(call, token, method);
            if (!request.ok()) co_return Answer(request.error());
            method = request->method;
            response = co_await client_->send(std::move(*request));
            if (!response.ok()) break;
            if (method == "GET" && (response->status == 405 || response->status == 501)) {
                method = "POST";
                continue;
            }
            const Status verdict = read_raw_response(*response);
            if (verdict.ok() || verdict.error().kind != ErrorKind::token_expired || refetched) {
                break;
            }
            refetched = true;
            auto fetched = co_await client_->fetch_unstored_token();
            if (!fetched.ok() || *fetched == token) break;
            token = std::move(*fetched);
        }
        co_return Answer(std::move(response));
    }

    Status read_raw_response(const HttpResponse& response) const override {
        if (!settings_.ok()) return settings_.error();
        auto data = read_envelope(response, settings_->codes, "api");
        if (!data.ok()) return data.error();
        return Status{};
    }

    std::vector<std::string> secret_values() const override {
        std::vector<std::string> out;
        for (const char* name : {"appid", "app_secret"}) {
            auto it = deps_.account.credentials.find(name);
            if (it != deps_.account.credentials.end() && !it->second.empty()) {
                out.push_back(it->second);
            }
        }
        if (client_) {
            for (auto& v : client_->tokens().secret_values()) out.push_back(std::move(v));
        }
        return out;
    }

  private:
    // METHOD is the path; -p NAME=VALUE and --body make the JSON body. `method` "": GET for the
    // endpoints documented as GET with a body, else POST.
    Result<HttpRequest> raw_request(const RawCall& call, const std::string& token,
                                    std::string method) const {
        if (!creds_.ok()) return creds_.error();
        if (!settings_.ok()) return settings_.error();
        json body = json::object();
        if (call.body) {
            auto parsed = parse_json_exact(*call.body);
            if (!parsed.ok()) return Error::config("wshoto api: --body is not JSON");
            body = std::move(*parsed);
        }
        for (const auto& [k, v] : call.params) body[k] = v;
        const std::string path =
            call.method.empty() || call.method.front() == '/' ? call.method : "/" + call.method;
        if (method.empty()) method = path == kOrderListPath ? "GET" : "POST";
        auto request = build_call(client_->base_url(), path, token, body, method);
        client_->prepare(request);
        return request;
    }

    AdapterDeps deps_;
    Result<Credentials> creds_;
    Result<AccountSettings> settings_;
    std::shared_ptr<Client> client_;
};

}  // namespace

PlatformAdapterPtr make_adapter(AdapterDeps deps) {
    return std::make_unique<WshotoAdapter>(std::move(deps));
}

}  // namespace csync::wshoto
