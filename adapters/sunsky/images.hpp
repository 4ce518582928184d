#pragma once
// The Sunsky `images` stream: the product!getImageChangeList.do T0 loop (watermark_loop.hpp, the
// same tie- and drift-safe rules as products), then product!getImages.do per changed item.
// Each answer is a ZIP archive, unpacked in memory; the page carries every image's bytes and
// SHA-256, and the store writes them as content-addressed files before the rows commit
// (store/image_files.hpp). Per item: HTTP 404 or "does not exist" = the item is gone, its
// images go; an archive that does not unpack, or names a path outside itself, is dead-lettered;
// UP_TO_IMAGE_DOWNLOAD_LIMIT is a rate limit (the page is fetched again later).

#include <vector>

#include "csync/config.hpp"
#include "csync/platform_spec.hpp"
#include "csync/ports/platform_adapter.hpp"
#include "sunsky/protocol.hpp"

namespace csync::sunsky {

inline constexpr const char* kImagesStream = "images";
inline constexpr int kMaxImageSize = 800;  // seed, interface 4: pixels, at most 800

// The options of the stream's own (modified_since and lookback come with every T0 loop).
std::vector<OptionSpec> images_options();

StreamSyncPtr make_images_stream(const AdapterDeps& deps, const Credentials& credentials,
                                 const StreamConfig& stream);

}  // namespace csync::sunsky
