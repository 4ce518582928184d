#include "wshoto/spec.hpp"

#include "wshoto/wire.hpp"

namespace csync::wshoto {

const PlatformSpec& platform_spec() {
    static const PlatformSpec spec = [] {
        PlatformSpec s;
        s.name = "wshoto";
        s.default_base_url = std::string(kDefaultBaseUrl);
        s.default_timezone = "Asia/Shanghai";
        s.required_credentials = {"appid", "app_secret"};
        s.account_options = {
            OptionSpec{kAuthCodesOption, OptionType::string, kDefaultAuthCodes,
                       "envelope codes meaning the access token is invalid or expired "
                       "(comma-separated): the token is fetched again once and the call retried"},
            OptionSpec{kTokenMinIntervalOption, OptionType::duration, "60000",
                       "shortest gap between two calls of the token endpoint (it throttles "
                       "frequent callers)"},
        };
        StreamSpec types;
        types.name = kProductTypesStream;
        types.default_interval = std::chrono::seconds{6 * 3600};
        types.default_page_size = kMaxPageSize;
        types.max_page_size = kMaxPageSize;
        StreamSpec categories = types;
        categories.name = kCategoriesStream;
        StreamSpec products;
        products.name = kProductsStream;
        products.default_interval = std::chrono::seconds{3600};
        products.default_page_size = kMaxPageSize;
        products.max_page_size = kMaxPageSize;
        s.streams = {types, categories, products};
        return s;
    }();
    return spec;
}

}  // namespace csync::wshoto
