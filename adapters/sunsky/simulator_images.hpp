#pragma once
// The simulated Sunsky image library: every product has 1 to 3 images, served by
// product!getImages.do as a real ZIP archive (libzip) whose bytes depend on the item, its image
// version and the size asked; product!getImageChangeList.do lists {itemNo, gmtModified} ordered
// by (gmtModified, itemNo), inclusive gmtModifiedStart, paged like product!search.do. Unknown
// items answer HTTP 404, as the seed says.
//
// Control routes (under /__sim/sunsky/images):
//   GET  /__sim/sunsky/images                       {"itemNo":[sha256 of each image, in order]}
//                                                   at the size last asked (default 800)
//   POST /__sim/sunsky/images/change?count=N        N items get a new image set now
//   POST /__sim/sunsky/images/corrupt?item=X        X's archive is served damaged, changed now
//   POST /__sim/sunsky/images/escape?item=X         X's archive gains a "../" entry, changed now
//   POST /__sim/sunsky/images/remove?item=X         X is gone: 404 from now on, changed now
//   POST /__sim/sunsky/images/limit?downloads=N     after N more downloads, the plain-text
//                                                   UP_TO_IMAGE_DOWNLOAD_LIMIT answer

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "csync/domain/time.hpp"
#include "csync/sim/simulated_platform.hpp"

namespace csync::sunsky {

class SimImageLibrary {
  public:
    // Items with their image set's initial modification time.
    SimImageLibrary(std::uint64_t seed, const std::vector<std::pair<std::string, LocalTime>>& items,
                    std::function<LocalTime()> now);

    SimResponse change_list(const std::map<std::string, std::string>& params) const;
    SimResponse images(const std::map<std::string, std::string>& params);
    SimResponse control(const SimRequest& request);

    std::vector<std::string> change(std::size_t count);
    // The images of `item` at `size`, as served (empty when the item is gone).
    std::vector<std::string> image_bytes(const std::string& item, int size) const;

  private:
    struct Entry {
        LocalTime modified{};
        int version = 1;
        int count = 1;
        bool corrupt = false;
        bool escape = false;
        bool gone = false;
    };
    void touch(const std::string& item);

    std::mt19937_64 rng_;
    std::function<LocalTime()> now_;
    std::map<std::string, Entry> items_;
    std::set<std::pair<LocalTime, std::string>> order_;
    int last_size_ = 800;
    std::optional<std::int64_t> downloads_left_;
};

}  // namespace csync::sunsky
