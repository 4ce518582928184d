#include "sunsky/simulator.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <stdexcept>

#include "sunsky/protocol.hpp"
#include "sunsky/signer.hpp"
#include "sunsky/simulator_support.hpp"

namespace csync::sunsky {
namespace {

using nlohmann::json;

// The catalogue starts here (platform local time); records are spread over the following days.
constexpr std::string_view kCatalogueStart = "03/01/2023 08:00:00";

// An amount in 1/10000 units as the platform writes it, with `decimals` digits (2..4), trailing
// zeros kept: 26600 with 4 decimals -> "2.6600".
std::string money(std::int64_t ten_thousandths, int decimals) {
    decimals = std::clamp(decimals, 0, 4);
    std::int64_t scale = 1;
    for (int i = decimals; i < 4; ++i) scale *= 10;
    std::int64_t v = ten_thousandths / scale;
    std::int64_t unit = 1;
    for (int i = 0; i < decimals; ++i) unit *= 10;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%lld.%0*lld", static_cast<long long>(v / unit), decimals,
                  static_cast<long long>(v % unit));
    return buf;
}

std::string format_minutes(LocalTime t) { return format_time(t).substr(0, 16); }

const char* const kBrands[] = {"iPartsBuy", "HAWEEL", "PULUZ", "ENKAY", "Xiaomi", "Huawei", ""};
const char* const kNouns[] = {"Charging Cable", "Phone Case",  "Screen Protector", "LCD Screen",
                              "Battery",        "Camera Lens", "Power Bank",       "Selfie Stick"};
const char* const kModels[] = {"iPhone 14", "Galaxy S23", "Mi 13",
                               "P60 Pro",   "Pixel 7",    "iPad Air"};
const char* const kColors[] = {"Black", "White", "Blue", "Red"};
const char* const kPrefixes[] = {"EDA", "IPC", "SPM", "TBD", "MPH"};

std::string group_item_no(std::uint32_t group) {
    char text[32];
    std::snprintf(text, sizeof text, "%s%07zu", kPrefixes[group % 5],
                  4400 + static_cast<std::size_t>(group) * 7);
    return text;
}

}  // namespace

SunskySimulator::SunskySimulator(SimOptions options) : options_(std::move(options)) {
    auto zone = TimeZone::from_name(options_.timezone);
    if (!zone.ok()) throw std::invalid_argument(zone.error().message);
    zone_ = *zone;
    auto key = options_.credentials.find("key");
    auto secret = options_.credentials.find("secret");
    if (key == options_.credentials.end() || key->second.empty() ||
        secret == options_.credentials.end() || secret->second.empty()) {
        throw std::invalid_argument("the sunsky simulator needs --key and --secret");
    }
    key_ = key->second;
    secret_ = secret->second;
    rng_.seed(options_.seed);
    generate();
    std::vector<SimOrderBook::CatalogueItem> catalogue;
    for (std::size_t i = 0; i < products_.size() && catalogue.size() < 50; i += 7) {
        const json r = record(i);
        catalogue.push_back({r["itemNo"].get<std::string>(), r["name"].get<std::string>(),
                             r["id"].get<std::int64_t>()});
    }
    orders_book_ = std::make_unique<SimOrderBook>(options_.seed, std::move(catalogue),
                                                  [this] { return now_local(); });
    std::vector<std::pair<std::string, LocalTime>> imaged;
    imaged.reserve(products_.size());
    for (std::size_t i = 0; i < products_.size(); ++i) {
        imaged.emplace_back(item_no(i), products_[i].modified);
    }
    image_library_ =
        std::make_unique<SimImageLibrary>(options_.seed, imaged, [this] { return now_local(); });
    account_ = std::make_unique<SimAccount>([this] { return now_local(); });
}

LocalTime SunskySimulator::now_local() const {
    return zone_.to_local(std::chrono::time_point_cast<std::chrono::seconds>(options_.now()));
}

void SunskySimulator::generate() {
    const LocalTime start = *parse_time(kCatalogueStart);

    // Category tree: 6 top-level categories, 3 children each, the first child of each with two
    // grandchildren: 6 + 18 + 12 = 36 categories. Products go to the leaves.
    const char* const top_names[] = {"Mobile Phone Parts",   "Phone Accessories",
                                     "Computer & Office",    "Camera & Photo",
                                     "Consumer Electronics", "Outdoor & Sports"};
    std::vector<std::int64_t> leaves;
    std::int64_t next_id = 1000;
    LocalTime cat_time = start - std::chrono::hours{24 * 30};
    auto add_category = [&](std::string name, std::int64_t parent, std::string code) {
        CategoryNode c;
        c.id = next_id++;
        c.parent = parent;
        cat_time += std::chrono::seconds{static_cast<long>(next_random() % 3600)};
        c.modified = cat_time;
        // Most valid; a few invalid or deleted, as the platform has them (appendix A).
        const int status = c.id % 17 == 5 ? 0 : (c.id % 19 == 7 ? 2 : 1);
        c.record = json{{"id", c.id},
                        {"code", code},
                        {"name", name},
                        {"shortName", name.substr(0, name.find(' '))},
                        {"hsCode", c.id % 3 == 0 ? "" : "8517709000"},
                        {"status", status},
                        {"parentId", parent},
                        {"gmtCreated", format_minutes(c.modified - std::chrono::hours{24 * 400})},
                        {"gmtModified", format_time(c.modified)}};
        categories_.push_back(std::move(c));
        return categories_.back().id;
    };
    for (int t = 0; t < 6; ++t) {
        char code[8];
        std::snprintf(code, sizeof code, "%03d", t + 1);
        const std::int64_t top = add_category(top_names[t], 0, code);
        for (int k = 0; k < 3; ++k) {
            char child_code[12];
            std::snprintf(child_code, sizeof child_code, "%s%03d", code, k + 1);
            const std::string child_name = std::string(top_names[t]) + " / " + kModels[(t + k) % 6];
            const std::int64_t child = add_category(child_name, top, child_code);
            if (k == 0) {
                for (int g = 0; g < 2; ++g) {
                    char grand_code[16];
                    std::snprintf(grand_code, sizeof grand_code, "%s%03d", child_code, g + 1);
                    leaves.push_back(
                        add_category(child_name + " / " + kColors[g], child, grand_code));
                }
            } else {
                leaves.push_back(child);
            }
        }
    }

    // Products, in groups of 1..4 variants. Times rise by 0..90 s with many repeats, and one
    // "bulk import" block of about an eighth of the catalogue shares a single second.
    const std::size_t n = options_.products;
    const std::size_t bulk_begin = n * 2 / 5;
    const std::size_t bulk_end = bulk_begin + std::max<std::size_t>(n / 8, n >= 2 ? 2 : 0);
    LocalTime t = start;
    std::size_t group_no = 0;
    products_.reserve(n);
    order_.reserve(n);
    while (products_.size() < n) {
        const std::size_t variants =
            std::min<std::size_t>(1 + next_random() % 4, n - products_.size());
        ++group_no;
        const auto brand = static_cast<std::uint8_t>(next_random() % 7);
        const auto noun = static_cast<std::uint8_t>(next_random() % 8);
        const auto model = static_cast<std::uint8_t>(next_random() % 6);
        const std::int64_t category = leaves[next_random() % leaves.size()];
        group_first_.push_back(static_cast<std::uint32_t>(products_.size()));
        for (std::size_t v = 0; v < variants; ++v) {
            const std::size_t index = products_.size();
            if (index >= bulk_begin && index < bulk_end) {
                if (index == bulk_begin) t += std::chrono::seconds{60};
            } else {
                const std::uint64_t r = next_random() % 4;
                if (r != 0 || index == bulk_end)
                    t += std::chrono::seconds{1 + static_cast<long>(next_random() % 90)};
            }
            Item item;
            item.modified = t;
            item.group = static_cast<std::uint32_t>(group_no - 1);
            item.category = static_cast<std::int32_t>(category);
            item.variant = static_cast<std::uint8_t>(v);
            item.variants = static_cast<std::uint8_t>(variants);
            item.brand = brand;
            item.noun = noun;
            item.model = model;
            item.first_price = 5000 + static_cast<std::int64_t>(next_random() % 2'000'000);
            item.price = item.first_price;
            item.first_decimals = static_cast<std::uint8_t>(2 + next_random() % 3);
            item.decimals = item.first_decimals;
            item.stock = static_cast<std::int64_t>(next_random() % 500);
            const std::uint64_t s = next_random() % 100;
            item.status = static_cast<std::int8_t>(s < 85 ? 1 : (s < 90 ? 0 : (s < 94 ? 2 : 3)));
            if (item.status == 3) item.stock = 0;
            item.barcode = next_random() % 10'000'000'000ULL;
            order_.emplace_back(item.modified, static_cast<std::uint32_t>(index));
            products_.push_back(item);
        }
    }
    std::sort(order_.begin(), order_.end());
}

std::string SunskySimulator::item_no(std::size_t index) const {
    const Item& item = products_[index];
    std::string out = group_item_no(item.group);
    if (item.variants > 1) out += static_cast<char>('A' + item.variant);
    return out;
}

std::optional<std::size_t> SunskySimulator::index_of(std::string_view text) const {
    // <prefix: 3 letters><4400 + 7 * group, 7+ digits>[<variant letter>]
    if (text.size() < 10) return std::nullopt;
    std::size_t end = 3;
    std::size_t number = 0;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') {
        number = number * 10 + static_cast<std::size_t>(text[end] - '0');
        ++end;
    }
    if (number < 4400 || (number - 4400) % 7 != 0) return std::nullopt;
    const std::size_t group = (number - 4400) / 7;
    if (group >= group_first_.size() || text.size() > end + 1) return std::nullopt;
    std::size_t index = group_first_[group];
    if (text.size() == end + 1) index += static_cast<std::size_t>(text[end] - 'A');
    if (index >= products_.size() || products_[index].group != group) return std::nullopt;
    if (item_no(index) != text) return std::nullopt;
    return index;
}

json SunskySimulator::record(std::size_t index) const {
    const Item& item = products_[index];
    const std::string group = group_item_no(item.group);
    const std::string brand = kBrands[item.brand];
    const std::string noun = kNouns[item.noun];
    const std::string title =
        (brand.empty() ? "" : brand + " ") + noun + " for " + kModels[item.model] +
        (item.variants > 1 ? std::string(" (") + kColors[item.variant] + ")" : "");
    json model_list = json::array();
    if (item.variants > 1) {
        for (std::size_t v = 0; v < item.variants; ++v) {
            model_list.push_back(
                json{{"key", group + static_cast<char>('A' + v)}, {"value", kColors[v]}});
        }
    }
    char barcode[16];
    std::snprintf(barcode, sizeof barcode, "692%010llu",
                  static_cast<unsigned long long>(item.barcode));
    const std::string price = item.corrupt ? "n/a" : money(item.price, item.decimals);
    return json{
        {"id", 2'900'000 + static_cast<std::int64_t>(index) * 13},
        {"itemNo", item_no(index)},
        {"groupItemNo", group},
        {"name", title},
        {"description", "<p>" + title + "</p>"},
        {"categoryId", item.category},
        {"status", item.status},
        {"price", price},
        {"priceList",
         json::array({json{{"key", 1}, {"value", price}},
                      json{{"key", 10},
                           {"value", money(item.first_price * 9 / 10, item.first_decimals)}}})},
        {"stock", item.stock},
        {"moq", 1},
        {"warehouse", index % 9 == 0 ? "HK" : "CN"},
        {"leadTimeLevel", 1 + static_cast<int>(index % 3)},
        {"gmtModified", format_time(item.modified)},
        {"gmtListed", format_time(item.modified - std::chrono::hours{24 * 3})},
        {"unitWeight", money(840 + static_cast<std::int64_t>(index % 50) * 10, 3)},
        {"packQty", 200},
        {"packWeight", "17.000"},
        {"barcode", index % 10 < 7 ? std::string(barcode) : std::string()},
        {"brandName", brand},
        {"modelLabel", item.variants > 1 ? "Color" : ""},
        {"modelList", model_list},
        {"oem", false},
        {"clearance", false},
        {"containsBattery", noun == "Battery" || noun == "Power Bank"},
    };
}

void SunskySimulator::reorder(const std::vector<std::size_t>& moved) {
    if (moved.empty()) return;
    std::vector<bool> is_moved(products_.size(), false);
    for (std::size_t index : moved) is_moved[index] = true;
    std::erase_if(order_, [&](const Key& k) { return is_moved[k.second]; });
    const auto kept = static_cast<std::ptrdiff_t>(order_.size());
    for (std::size_t index = 0; index < products_.size(); ++index) {
        if (is_moved[index]) {
            is_moved[index] = false;  // once each, however often it was named
            order_.emplace_back(products_[index].modified, static_cast<std::uint32_t>(index));
        }
    }
    std::sort(order_.begin() + kept, order_.end());
    std::inplace_merge(order_.begin(), order_.begin() + kept, order_.end());
}

void SunskySimulator::set_modified(std::size_t index, LocalTime when) {
    products_[index].modified = when;
}

void SunskySimulator::modify(std::size_t index, LocalTime when) {
    Item& item = products_[index];
    item.stock = (item.stock + 1 + static_cast<std::int64_t>(next_random() % 50)) % 600;
    item.price = 5000 + static_cast<std::int64_t>(next_random() % 2'000'000);
    item.decimals = static_cast<std::uint8_t>(2 + next_random() % 3);
    item.corrupt = false;
    if (item.status == 3 && item.stock > 0) item.status = 1;
    if (item.status == 1 && item.stock == 0) item.status = 3;
    set_modified(index, when);
}

std::size_t SunskySimulator::mutate(std::size_t count) {
    count = std::min(count, products_.size());
    const LocalTime now = now_local();
    std::set<std::size_t> chosen;
    while (chosen.size() < count) chosen.insert(next_random() % products_.size());
    for (std::size_t index : chosen) modify(index, now);
    reorder({chosen.begin(), chosen.end()});
    orders_book_->advance(count);
    return count;
}

bool SunskySimulator::touch(const std::string& item_no) {
    auto index = index_of(item_no);
    if (!index) return false;
    modify(*index, now_local());
    reorder({*index});
    return true;
}

void SunskySimulator::set_all_modified(LocalTime t) {
    for (std::size_t i = 0; i < products_.size(); ++i) {
        set_modified(i, t);
        order_[i] = {t, static_cast<std::uint32_t>(i)};
    }
}

std::string SunskySimulator::item_at(std::size_t position) const {
    if (position >= order_.size()) return {};
    return item_no(order_[position].second);
}

std::string SunskySimulator::truth_ndjson() {
    std::string out;
    for (std::size_t i = 0; i < products_.size(); ++i) {
        out += record(i).dump();
        out += '\n';
    }
    return out;
}

SimResponse SunskySimulator::rate_limit_response() const { return envelope_error(kCallLimitError); }

SimResponse SunskySimulator::control(const SimRequest& request) {
    if (request.path == "/__sim/sunsky/user-status" && request.method == "POST") {
        key_active_ = request.query_param("active") != "0";
        SimResponse r;
        r.body = json{{"active", key_active_}}.dump();
        return r;
    }
    const bool corrupt = request.path == "/__sim/sunsky/corrupt";
    const bool late = request.path == "/__sim/sunsky/late-commit";
    // A status code the seed's appendix B does not list (a platform extending its codes).
    const bool unknown_status = request.path == "/__sim/sunsky/unknown-status";
    if ((corrupt || late || unknown_status) && request.method == "POST") {
        auto count = count_param(request, "count", 1);
        auto seconds = count_param(request, "seconds", 0);
        auto code = count_param(request, "status", 9);
        if (!count || !seconds || !code || *code > 127) {  // a status is kept in 8 bits
            SimResponse bad;
            bad.status = 400;
            bad.body = json{{"error",
                             "count, seconds and status must be non-negative integers (status "
                             "at most 127)"}}
                           .dump();
            return bad;
        }
        std::set<std::size_t> chosen;
        while (chosen.size() < std::min(*count, products_.size())) {
            chosen.insert(next_random() % products_.size());
        }
        const LocalTime now = now_local();
        json items = json::array();
        for (std::size_t index : chosen) {
            if (corrupt) {
                products_[index].corrupt = true;
                set_modified(index, now);
            } else if (unknown_status) {
                products_[index].status = static_cast<std::int8_t>(*code);
                set_modified(index, now);
            } else {
                modify(index, now - std::chrono::seconds{*seconds});
            }
            items.push_back(item_no(index));
        }
        reorder({chosen.begin(), chosen.end()});
        SimResponse r;
        r.body = json{{corrupt ? "corrupted" : (late ? "late" : "unknown_status"), items}}.dump();
        return r;
    }
    if (request.path == "/__sim/sunsky/same-time" && request.method == "POST") {
        auto count = count_param(request, "count", products_.size());
        auto seconds = count_param(request, "seconds_ago", 3600);
        if (!count || !seconds) {
            SimResponse bad;
            bad.status = 400;
            bad.body =
                json{{"error", "count and seconds_ago must be non-negative integers"}}.dump();
            return bad;
        }
        const std::size_t n = std::min(*count, products_.size());
        const LocalTime when = now_local() - std::chrono::seconds{*seconds};
        std::vector<std::size_t> moved(n);
        for (std::size_t i = 0; i < n; ++i) {
            set_modified(i, when);
            moved[i] = i;
        }
        reorder(moved);
        SimResponse r;
        r.body = json{{"items", n}, {"gmtModified", format_time(when)}}.dump();
        return r;
    }
    if (request.path.starts_with("/__sim/sunsky/orders")) return orders_book_->control(request);
    if (request.path.starts_with("/__sim/sunsky/images")) return image_library_->control(request);
    if (request.path.starts_with("/__sim/sunsky/account")) return account_->control(request);
    return SimulatedPlatform::control(request);
}

SimResponse SunskySimulator::handle(const SimRequest& request) {
    // Struts reads parameters from the query and the form body alike.
    Params all = request.query;
    if (!request.body.empty()) {
        auto form = parse_form(request.body);
        all.insert(all.end(), form.begin(), form.end());
    }
    std::map<std::string, std::string> params;
    std::string signature;
    for (const auto& [k, v] : all) {
        if (k == "signature") {
            signature = v;
        } else {
            params[k] = v;
        }
    }
    if (params["key"] != key_) return envelope_error(kSignatureError);
    auto expected = SunskySigner::sign(all, secret_);
    if (!expected.ok() || *expected != signature) return envelope_error(kSignatureError);
    if (!key_active_) return envelope_error(kUserStatusError);

    ++api_calls_;
    if (budget_.exceeded(options_.now(), options_.rate_limit_per_minute)) {
        return rate_limit_response();
    }

    if (request.path == "/openapi/product!search.do") return search(params);
    if (request.path == "/openapi/product!detail.do") return detail(params);
    if (request.path == "/openapi/category!getChildren.do") return categories(params);
    if (request.path == "/openapi/order!getOrderList.do") return orders_book_->list(params);
    if (request.path == "/openapi/product!getImageChangeList.do") {
        return image_library_->change_list(params);
    }
    if (request.path == "/openapi/product!getImages.do") return image_library_->images(params);
    if (request.path == "/openapi/order!getBalance.do") return account_->balance();
    if (request.path == "/openapi/order!getBillList.do") return account_->bills(params);
    if (request.path == "/openapi/order!getCountries.do") return account_->countries();
    if (request.path == "/openapi/order!getOrderDetails.do") return orders_book_->details(params);
    SimResponse r;
    r.status = 404;
    r.content_type = "text/html";
    r.body = "<html><body>404 Not Found</body></html>";
    return r;
}

bool SunskySimulator::in_category(std::int64_t category, std::int64_t wanted) const {
    for (int depth = 0; depth < 8 && category != 0; ++depth) {
        if (category == wanted) return true;
        auto it = std::find_if(categories_.begin(), categories_.end(),
                               [&](const CategoryNode& c) { return c.id == category; });
        if (it == categories_.end()) return false;
        category = it->parent;
    }
    return false;
}

SimResponse SunskySimulator::search(const std::map<std::string, std::string>& params) {
    auto get = [&](const char* name) -> std::string {
        auto it = params.find(name);
        return it == params.end() ? std::string() : it->second;
    };
    std::int64_t page = 1;
    std::int64_t page_size = kDefaultPageSize;
    if (auto p = get("page"); !p.empty()) {
        auto v = parse_int64(p);
        if (!v || *v < 1) return envelope_error("Invalid parameter: page");
        page = *v;
    }
    if (auto p = get("pageSize"); !p.empty()) {
        auto v = parse_int64(p);
        if (!v || *v < 1) return envelope_error("Invalid parameter: pageSize");
        page_size = std::min<std::int64_t>(*v, kMaxPageSize);
    }
    std::optional<LocalTime> since;
    if (auto p = get("gmtModifiedStart"); !p.empty()) {
        since = parse_time(p);
        if (!since) return envelope_error("Invalid parameter: gmtModifiedStart");
    }
    std::optional<std::int64_t> category;
    if (auto p = get("categoryId"); !p.empty()) {
        category = parse_int64(p);
        if (!category) return envelope_error("Invalid parameter: categoryId");
    }
    std::optional<std::int64_t> status;
    if (auto p = get("status"); !p.empty() && p != "-1") {
        status = parse_int64(p);
        if (!status) return envelope_error("Invalid parameter: status");
    }
    const std::string brand = get("brandName");

    // Inclusive lower bound, ordered by (gmtModified, id). Without a filter the page is a slice
    // of order_ and the total its length from the bound: no walk over the catalogue.
    const std::size_t from =
        since ? static_cast<std::size_t>(
                    std::lower_bound(order_.begin(), order_.end(), Key{*since, 0}) - order_.begin())
              : 0;
    const std::int64_t first = (page - 1) * page_size;
    json rows = json::array();
    std::int64_t total = 0;
    const bool filtered = category || status || !brand.empty();
    if (!filtered) {
        total = static_cast<std::int64_t>(order_.size() - from);
        for (std::int64_t i = first; i < std::min(total, first + page_size); ++i) {
            rows.push_back(record(order_[from + static_cast<std::size_t>(i)].second));
        }
    } else {
        for (std::size_t i = from; i < order_.size(); ++i) {
            const Item& item = products_[order_[i].second];
            if (category && !in_category(item.category, *category)) continue;
            if (status && item.status != *status) continue;
            if (!brand.empty() && kBrands[item.brand] != brand) continue;
            if (total >= first && total < first + page_size) {
                rows.push_back(record(order_[i].second));
            }
            ++total;
        }
    }
    const std::int64_t page_count = (total + page_size - 1) / page_size;
    return envelope_success(json{{"pageCount", page_count}, {"total", total}, {"result", rows}});
}

SimResponse SunskySimulator::detail(const std::map<std::string, std::string>& params) {
    auto p = params.find("itemNo");
    if (p == params.end()) return envelope_error(kNotFoundMessage);
    auto index = index_of(p->second);
    if (!index) return envelope_error(kNotFoundMessage);
    return envelope_success(record(*index));
}

SimResponse SunskySimulator::categories(const std::map<std::string, std::string>& params) {
    std::optional<std::int64_t> parent;
    if (auto it = params.find("parentId"); it != params.end() && !it->second.empty()) {
        parent = parse_int64(it->second);
        if (!parent) return envelope_error("Invalid parameter: parentId");
    }
    std::optional<LocalTime> since;
    if (auto it = params.find("gmtModifiedStart"); it != params.end() && !it->second.empty()) {
        since = parse_time(it->second);
        if (!since) return envelope_error("Invalid parameter: gmtModifiedStart");
    }
    json rows = json::array();
    for (const CategoryNode& c : categories_) {
        if (parent && c.parent != *parent) continue;
        if (since && c.modified < *since) continue;
        rows.push_back(c.record);
    }
    return envelope_success(std::move(rows));
}

}  // namespace csync::sunsky
