#pragma once
// The ZIP archive product!getImages.do answers with, unpacked in memory (libzip). Entry names
// are never used as paths (images are stored under their SHA-256), but an archive naming an
// entry outside its own root ("../x", "/x", "C:\x") is refused whole: it is not an archive the
// platform would make, and nothing from it is trusted.

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace csync::sunsky {

struct ArchiveEntry {
    std::string name;
    std::string data;
};

// Entries in name order (directories left out), or why the archive was refused.
struct ArchiveRefusal {
    std::string reason;
};
std::variant<std::vector<ArchiveEntry>, ArchiveRefusal> unpack_zip(std::string_view bytes);

// True for the "PK\x03\x04" (or empty archive "PK\x05\x06") magic of a ZIP body.
bool looks_like_zip(std::string_view body);

// An archive of `entries` (in order), for the simulator and tests.
std::string make_zip(const std::vector<ArchiveEntry>& entries);

}  // namespace csync::sunsky
