#include "qianmi/spec.hpp"

#include "qianmi/wire.hpp"

namespace csync::qianmi {

const PlatformSpec& platform_spec() {
    static const PlatformSpec spec = [] {
        PlatformSpec s;
        s.name = "qianmi";
        s.default_base_url = std::string(kDefaultGatewayUrl);
        s.default_timezone = "Asia/Shanghai";
        s.required_credentials = {"app_key", "app_secret", "access_token", "refresh_token"};
        s.account_options = {
            OptionSpec{kTokenUrlOption, OptionType::string, std::string(kDefaultTokenUrl),
                       "OAuth endpoint that renews the access token (grant_type=refresh_token)"}};
        StreamSpec items;
        items.name = kItemsStream;
        items.default_interval = std::chrono::seconds{15 * 60};
        items.default_page_size = kMaxPageSize;
        items.max_page_size = kMaxPageSize;
        items.options = {
            OptionSpec{kSkusOption, OptionType::boolean, "false",
                       "also read changed items with item.get and store each SKU as its own "
                       "product row (parent = num_iid)"},
            OptionSpec{kOrderByOption, OptionType::string, "cid",
                       "items.all.list order: cid, num, brand_id or type_id, optionally :asc or "
                       ":desc"},
            OptionSpec{kNumIidsOption, OptionType::string, "",
                       "a fixed comma-separated list of num_iid values to sync instead of "
                       "discovering every item (empty: discover)"},
        };
        s.streams = {items};
        return s;
    }();
    return spec;
}

}  // namespace csync::qianmi
