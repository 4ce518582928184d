// The Wangdiantong (旺店通 ERP, flagship edition) platform: spec, adapter, registration.

#include <memory>
#include <set>

#include "core/failing_stream.hpp"
#include "core/system_clock.hpp"
#include "log/log.hpp"
#include "wangdiantong/registration.hpp"
#include "wangdiantong/stock_stream.hpp"
#include "wangdiantong/wire.hpp"

namespace csync::wangdiantong {
namespace {

const PlatformSpec& wdt_spec() {
    static const PlatformSpec spec = [] {
        PlatformSpec s;
        s.name = "wangdiantong";
        s.default_base_url = "http://wdt.wangdian.cn";
        s.default_timezone = "Asia/Shanghai";
        s.required_credentials = {"sid", "key", "appsecret"};
        StreamSpec stock;
        stock.name = "stock";
        stock.default_interval = std::chrono::seconds{60};
        stock.default_page_size = 500;
        stock.max_page_size = kMaxCount;
        stock.options = {
            OptionSpec{"calc_batch_size", OptionType::integer, "100",
                       "rec_ids per batchCalcStock call (calcStock per id where the batch call "
                       "is refused)"},
        };
        s.streams = {stock};
        s.account_options = {
            OptionSpec{"ack", OptionType::boolean, "true",
                       "acknowledge each synced id with syncSuccess/syncFail; false leaves the "
                       "ids waiting in the ERP"},
        };
        return s;
    }();
    return spec;
}

// The public parameters `commerce-syncd api -p` may set: the pager.
const std::set<std::string>& pager_params() {
    static const std::set<std::string> names = {"page_size", "page_no", "calc_total"};
    return names;
}

class WangdiantongAdapter final : public PlatformAdapter {
  public:
    explicit WangdiantongAdapter(AdapterDeps deps)
        : deps_(deps), creds_(credentials_from(deps.account.credentials)) {
        if (creds_.ok()) {
            client_ = std::make_shared<Client>(deps_.account, deps_.http, deps_.clock, *creds_);
        }
    }

    const PlatformSpec& spec() const override { return wdt_spec(); }

    StreamSyncPtr make_stream(const StreamConfig& stream) override {
        log::Logger logger =
            log::root().with("account", deps_.account.name).with("stream", stream.name);
        if (!client_) return std::make_unique<FailingStream>(creds_.error());
        return make_stock_stream(client_, deps_.zone, stock_stream_options(deps_.account, stream),
                                 std::move(logger), deps_.clock, random_);
    }

    Result<HttpRequest> build_raw_call(const RawCall& call) const override {
        if (!creds_.ok()) return creds_.error();
        if (call.method.empty()) return Error::config("the method name is empty");
        std::map<std::string, std::string> extra;
        for (const auto& [name, value] : call.params) {
            if (!pager_params().count(name)) {
                return Error::config("-p " + name +
                                     ": wangdiantong takes only the pager parameters page_size, "
                                     "page_no and calc_total as -p; business arguments go in "
                                     "--body as a JSON array");
            }
            extra[name] = value;
        }
        const std::string body = call.body.value_or("[]");
        const std::int64_t at = call.at_unix.value_or(unix_seconds(deps_.clock));
        HttpRequest req =
            build_request(deps_.account.base_url, *creds_, call.method, body, at, extra);
        req.timeout = deps_.account.request_timeout;
        return req;
    }

    Status read_raw_response(const HttpResponse& response) const override {
        auto data = read_envelope(response, unix_seconds(deps_.clock));
        if (!data.ok()) return data.error();
        return {};
    }

    std::vector<std::string> secret_values() const override {
        std::vector<std::string> out;
        auto it = deps_.account.credentials.find("appsecret");
        if (it != deps_.account.credentials.end() && !it->second.empty()) {
            out.push_back(it->second);
        }
        if (creds_.ok()) {
            out.push_back(creds_->secret);
            out.push_back(creds_->salt);
            out.push_back(creds_->key);
        } else if (auto k = deps_.account.credentials.find("key");
                   k != deps_.account.credentials.end() && !k->second.empty()) {
            out.push_back(k->second);
        }
        return out;
    }

    // A stock figure is true only as the ERP has just calculated it: a stored one is never
    // replayed.
    Result<PageRecords> remap_dead_letter(const std::string& stream,
                                          const std::string& payload) const override {
        (void)payload;
        return Error::config(
            "wangdiantong " + stream +
            " letters are not re-mapped offline: a stock figure is only valid as the ERP has "
            "just calculated it. The stock stream stores the id when the ERP lists it again "
            "(unacknowledged, or after its stock changes or the merchant re-triggers its sync "
            "in the ERP; with `ack` on, the failure was reported to the ERP with this reason)");
    }

  private:
    AdapterDeps deps_;
    Result<Credentials> creds_;
    std::shared_ptr<Client> client_;
    StdRandom random_;  // backoff jitter of retried acknowledgements
};

}  // namespace

PlatformRegistration registration() {
    PlatformRegistration r;
    r.spec = &wdt_spec;
    r.make_adapter = [](AdapterDeps deps) -> PlatformAdapterPtr {
        return std::make_unique<WangdiantongAdapter>(deps);
    };
    return r;
}

}  // namespace csync::wangdiantong
