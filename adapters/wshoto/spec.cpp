#include "wshoto/spec.hpp"

#include "wshoto/goods.hpp"
#include "wshoto/orders.hpp"
#include "wshoto/wire.hpp"

namespace csync::wshoto {
namespace {

// The loader's check of a string option: the message of the parser's config error.
template <class Parse>
std::function<std::optional<std::string>(std::string_view)> checked_by(Parse parse,
                                                                       std::string option) {
    return [parse, option](std::string_view value) -> std::optional<std::string> {
        auto parsed = parse(value, option);
        if (parsed.ok()) return std::nullopt;
        return parsed.error().message;
    };
}

void check_options(std::vector<OptionSpec>& options) {
    for (OptionSpec& o : options) {
        if (o.name == "unit") o.check = checked_by(&parse_money_unit, o.name);
        if (o.name == "time_format") o.check = checked_by(&parse_time_format, o.name);
    }
}

}  // namespace

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
                       "(comma-separated): the token is fetched again once and the call retried",
                       checked_by(&parse_code_list, kAuthCodesOption)},
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
        StreamSpec orders;
        orders.name = kOrdersStream;
        orders.default_interval = std::chrono::seconds{300};
        orders.default_page_size = kMaxPageSize;
        orders.max_page_size = kMaxPageSize;
        orders.options = orders_options();
        check_options(orders.options);
        StreamSpec goods = products;
        goods.name = kGoodsStream;
        goods.options = goods_options();
        check_options(goods.options);
        goods.enabled_by_default = false;
        s.streams = {types, categories, products, orders, goods};
        return s;
    }();
    return spec;
}

}  // namespace csync::wshoto
