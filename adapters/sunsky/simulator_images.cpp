#include "sunsky/simulator_images.hpp"

#include <algorithm>

#include "core/digest.hpp"
#include "sunsky/image_archive.hpp"
#include "sunsky/protocol.hpp"
#include "sunsky/simulator_support.hpp"

namespace csync::sunsky {
namespace {

using nlohmann::json;

}  // namespace

SimImageLibrary::SimImageLibrary(std::uint64_t seed,
                                 const std::vector<std::pair<std::string, LocalTime>>& items,
                                 std::function<LocalTime()> now)
    : rng_(seed * 104729 + 3), now_(std::move(now)) {
    for (const auto& [item, modified] : items) {
        Entry e;
        e.modified = modified;
        e.count = 1 + static_cast<int>(rng_() % 3);
        items_[item] = e;
        order_.insert({modified, item});
    }
}

void SimImageLibrary::touch(const std::string& item) {
    Entry& e = items_.at(item);
    order_.erase({e.modified, item});
    e.modified = now_();
    order_.insert({e.modified, item});
}

std::vector<std::string> SimImageLibrary::change(std::size_t count) {
    std::vector<std::string> live;
    for (const auto& [item, e] : items_) {
        if (!e.gone) live.push_back(item);
    }
    std::set<std::string> chosen;
    while (chosen.size() < std::min(count, live.size())) chosen.insert(live[rng_() % live.size()]);
    for (const std::string& item : chosen) {
        Entry& e = items_.at(item);
        ++e.version;
        e.count = 1 + static_cast<int>(rng_() % 3);
        touch(item);
    }
    return {chosen.begin(), chosen.end()};
}

std::vector<std::string> SimImageLibrary::image_bytes(const std::string& item, int size) const {
    auto it = items_.find(item);
    if (it == items_.end() || it->second.gone) return {};
    std::vector<std::string> out;
    for (int n = 0; n < it->second.count; ++n) {
        // A stand-in for a JPEG: the header, then bytes that depend on what was asked.
        std::string bytes = "\xFF\xD8\xFF\xE0";
        const std::string seed_text =
            item + "#" + std::to_string(it->second.version) + "#" + std::to_string(n);
        bytes += seed_text;
        const std::string fill = sha256_hex(seed_text);
        // Grows with the area asked for: 40 KiB at 800 pixels, 256 bytes at 64.
        const std::size_t length =
            static_cast<std::size_t>(size) * static_cast<std::size_t>(size) / 16;
        for (std::size_t i = 0; i < length; ++i) bytes += fill[i % fill.size()];
        out.push_back(std::move(bytes));
    }
    return out;
}

SimResponse SimImageLibrary::change_list(const std::map<std::string, std::string>& params) const {
    auto get = [&](const char* name) -> std::string {
        auto it = params.find(name);
        return it == params.end() ? std::string() : it->second;
    };
    auto paging = read_paging(get("page"), get("pageSize"));
    if (!paging) return envelope_error("Invalid parameter: page or pageSize");
    auto it = order_.begin();
    if (auto p = get("gmtModifiedStart"); !p.empty()) {
        auto since = parse_time(p);
        if (!since) return envelope_error("Invalid parameter: gmtModifiedStart");
        it = order_.lower_bound({*since, std::string()});
    }
    std::int64_t total = 0;
    const std::int64_t first = (paging->page - 1) * paging->page_size;
    json rows = json::array();
    for (; it != order_.end(); ++it, ++total) {
        if (total >= first && total < first + paging->page_size) {
            rows.push_back(json{{"itemNo", it->second}, {"gmtModified", format_time(it->first)}});
        }
    }
    return envelope_success(json{{"pageCount", (total + paging->page_size - 1) / paging->page_size},
                                 {"total", total},
                                 {"result", std::move(rows)}});
}

SimResponse SimImageLibrary::images(const std::map<std::string, std::string>& params) {
    SimResponse r;
    auto item = params.find("itemNo");
    auto it = item == params.end() ? items_.end() : items_.find(item->second);
    if (it == items_.end() || it->second.gone) {
        r.status = 404;
        r.content_type = "text/html";
        r.body = "<html><body>404 Not Found</body></html>";
        return r;
    }
    if (downloads_left_) {
        if (*downloads_left_ <= 0) {
            r.content_type = "text/plain";
            r.body = "UP_TO_IMAGE_DOWNLOAD_LIMIT";
            return r;
        }
        --*downloads_left_;
    }
    int size = 800;
    if (auto s = params.find("size"); s != params.end()) {
        auto v = to_int(s->second);
        if (!v || *v < 1) return envelope_error("Invalid parameter: size");
        size = static_cast<int>(std::min<std::int64_t>(*v, 800));
    }
    last_size_ = size;
    std::vector<ArchiveEntry> entries;
    int n = 0;
    for (std::string& bytes : image_bytes(it->first, size)) {
        entries.push_back({it->first + "_" + std::to_string(++n) + ".jpg", std::move(bytes)});
    }
    if (it->second.escape) entries.push_back({"../../escaped.jpg", "\xFF\xD8\xFF\xE0 outside"});
    r.content_type = "application/zip";
    r.body = make_zip(entries);
    if (it->second.corrupt) {
        // The central directory is lost: what a truncated download looks like.
        r.body.resize(r.body.size() * 2 / 3);
    }
    return r;
}

SimResponse SimImageLibrary::control(const SimRequest& request) {
    SimResponse r;
    if (request.path == "/__sim/sunsky/images" && request.method == "GET") {
        json out = json::object();
        for (const auto& [item, e] : items_) {
            if (e.gone) continue;
            json hashes = json::array();
            for (const std::string& bytes : image_bytes(item, last_size_)) {
                hashes.push_back(sha256_hex(bytes));
            }
            out[item] = std::move(hashes);
        }
        r.body = out.dump();
        return r;
    }
    if (request.method != "POST") {
        r.status = 404;
        r.body = "unknown control route\n";
        return r;
    }
    if (request.path == "/__sim/sunsky/images/change") {
        auto count = count_param(request, "count", 1);
        if (!count) {
            r.status = 400;
            r.body = json{{"error", "count must be a non-negative integer"}}.dump();
            return r;
        }
        r.body = json{{"changed", change(*count)}}.dump();
        return r;
    }
    if (request.path == "/__sim/sunsky/images/limit") {
        auto downloads = count_param(request, "downloads", 0);
        if (!downloads) {
            r.status = 400;
            r.body = json{{"error", "downloads must be a non-negative integer"}}.dump();
            return r;
        }
        downloads_left_ = static_cast<std::int64_t>(*downloads);
        r.body = json{{"downloads_left", *downloads_left_}}.dump();
        return r;
    }
    const std::string item = request.query_param("item");
    auto it = items_.find(item);
    const std::string action = request.path.substr(request.path.rfind('/') + 1);
    if (it == items_.end() || (action != "corrupt" && action != "escape" && action != "remove")) {
        r.status = it == items_.end() ? 404 : 400;
        r.body = json{{"error", "unknown item or action"}}.dump();
        return r;
    }
    if (action == "corrupt") it->second.corrupt = true;
    if (action == "escape") it->second.escape = true;
    if (action == "remove") it->second.gone = true;
    touch(item);
    r.body = json{{action, item}}.dump();
    return r;
}

}  // namespace csync::sunsky
