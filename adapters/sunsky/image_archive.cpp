#include "sunsky/image_archive.hpp"

#include <zip.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace csync::sunsky {
namespace {

struct ArchiveCloser {
    void operator()(zip_t* z) const { zip_discard(z); }
};
struct FileCloser {
    void operator()(zip_file_t* f) const { zip_fclose(f); }
};

bool escapes(std::string_view name) {
    if (name.empty() || name.front() == '/' || name.front() == '\\') return true;
    if (name.size() >= 2 && name[1] == ':') return true;  // a drive letter
    std::size_t start = 0;
    while (start <= name.size()) {
        const std::size_t end = name.find_first_of("/\\", start);
        const std::string_view part = name.substr(
            start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (part == "..") return true;
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return false;
}

std::string zip_message(zip_error_t* error) {
    std::string text = zip_error_strerror(error);
    zip_error_fini(error);
    return text;
}

}  // namespace

bool looks_like_zip(std::string_view body) {
    return body.starts_with(std::string_view("PK\x03\x04", 4)) ||
           body.starts_with(std::string_view("PK\x05\x06", 4));
}

std::variant<std::vector<ArchiveEntry>, ArchiveRefusal> unpack_zip(std::string_view bytes) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (!source) return ArchiveRefusal{"archive does not unpack: " + zip_message(&error)};
    zip_t* opened = zip_open_from_source(source, ZIP_CHECKCONS | ZIP_RDONLY, &error);
    if (!opened) {
        zip_source_free(source);
        return ArchiveRefusal{"archive does not unpack: " + zip_message(&error)};
    }
    zip_error_fini(&error);
    std::unique_ptr<zip_t, ArchiveCloser> archive(opened);
    const zip_int64_t count = zip_get_num_entries(archive.get(), 0);
    std::vector<ArchiveEntry> entries;
    for (zip_int64_t i = 0; i < count; ++i) {
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(archive.get(), static_cast<zip_uint64_t>(i), 0, &st) != 0 ||
            !(st.valid & ZIP_STAT_NAME) || !(st.valid & ZIP_STAT_SIZE)) {
            return ArchiveRefusal{"archive does not unpack: entry " + std::to_string(i) +
                                  " is unreadable (" + zip_strerror(archive.get()) + ")"};
        }
        const std::string name = st.name;
        if (escapes(name)) {
            return ArchiveRefusal{"archive entry '" + name +
                                  "' points outside the archive: refused"};
        }
        if (name.ends_with('/')) continue;  // a directory
        std::unique_ptr<zip_file_t, FileCloser> file(
            zip_fopen_index(archive.get(), static_cast<zip_uint64_t>(i), 0));
        if (!file) {
            return ArchiveRefusal{"archive does not unpack: entry '" + name +
                                  "': " + zip_strerror(archive.get())};
        }
        std::string data(static_cast<std::size_t>(st.size), '\0');
        const zip_int64_t read = zip_fread(file.get(), data.data(), data.size());
        if (read < 0 || static_cast<zip_uint64_t>(read) != st.size) {
            return ArchiveRefusal{"archive does not unpack: entry '" + name +
                                  "' is truncated or corrupt (" + zip_file_strerror(file.get()) +
                                  ")"};
        }
        entries.push_back({name, std::move(data)});
    }
    std::sort(entries.begin(), entries.end(),
              [](const ArchiveEntry& a, const ArchiveEntry& b) { return a.name < b.name; });
    return entries;
}

std::string make_zip(const std::vector<ArchiveEntry>& entries) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
    if (!buffer) throw std::runtime_error("libzip: " + zip_message(&error));
    zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
    if (!archive) {
        zip_source_free(buffer);
        throw std::runtime_error("libzip: " + zip_message(&error));
    }
    zip_error_fini(&error);
    zip_source_keep(buffer);  // read back after zip_close
    for (const ArchiveEntry& e : entries) {
        zip_source_t* data = zip_source_buffer(archive, e.data.data(), e.data.size(), 0);
        if (!data || zip_file_add(archive, e.name.c_str(), data, ZIP_FL_ENC_UTF_8) < 0) {
            if (data) zip_source_free(data);
            const std::string message = zip_strerror(archive);
            zip_discard(archive);
            zip_source_free(buffer);
            throw std::runtime_error("libzip: cannot add " + e.name + ": " + message);
        }
    }
    if (zip_close(archive) != 0) {
        const std::string message = zip_strerror(archive);
        zip_discard(archive);
        zip_source_free(buffer);
        throw std::runtime_error("libzip: cannot write the archive: " + message);
    }
    std::string out;
    if (zip_source_open(buffer) == 0) {
        zip_source_seek(buffer, 0, SEEK_END);
        out.resize(static_cast<std::size_t>(zip_source_tell(buffer)));
        zip_source_seek(buffer, 0, SEEK_SET);
        zip_source_read(buffer, out.data(), out.size());
        zip_source_close(buffer);
    }
    zip_source_free(buffer);
    return out;
}

}  // namespace csync::sunsky
