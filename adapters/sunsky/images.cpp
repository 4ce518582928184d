#include "sunsky/images.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "core/digest.hpp"
#include "core/json_util.hpp"
#include "log/log.hpp"
#include "sunsky/caller.hpp"
#include "sunsky/image_archive.hpp"
#include "sunsky/mapping.hpp"
#include "sunsky/watermark_loop.hpp"

namespace csync::sunsky {
namespace {

using boost::asio::awaitable;
using nlohmann::json;

constexpr std::int64_t kMiB = 1024 * 1024;

class ImagesStream final : public StreamSync {
  public:
    ImagesStream(const AdapterDeps& deps, Credentials credentials, const StreamConfig& stream)
        : caller_(deps, std::move(credentials)),
          loop_(caller_, "product!getImageChangeList", stream,
                std::clamp(stream.page_size > 0 ? stream.page_size : kMaxPageSize, 1, kMaxPageSize),
                log::root().with("account", deps.account.name).with("stream", stream.name)),
          size_(stream.integer_option("size").value_or(kMaxImageSize)),
          folder_(stream.options.contains("folder") ? stream.options.at("folder") : ""),
          budget_bytes_(stream.integer_option("disk_budget_mb").value_or(0) * kMiB),
          stream_name_(stream.name) {}

    awaitable<Result<Page>> fetch_page(const json& cursor) override {
        if (size_ < 1 || size_ > kMaxImageSize) {
            co_return Error::config("stream " + stream_name_ + ": option size must be 1 to " +
                                    std::to_string(kMaxImageSize) + " pixels, not " +
                                    std::to_string(size_));
        }
        // Named, not `{}`: GCC 12 destroys a braced temporary coroutine argument twice.
        Params no_extra;
        auto listed = co_await loop_.next(cursor, std::move(no_extra));
        if (!listed.ok()) co_return failed_fetch(std::move(listed).error(), caller_.take_sent());
        Page page;
        page.records.image_folder = folder_;
        page.records.image_budget_bytes = budget_bytes_;
        // An item listed twice on a page (changed again meanwhile) is downloaded once.
        std::map<std::string, const json*> items;
        for (const json& row : listed->rows) {
            auto item = row.is_object() ? json_text(row, "itemNo") : std::nullopt;
            if (!item || item->empty()) {
                page.records.dead_letters.push_back(
                    DeadLetter{"", row.dump(), "image change row without itemNo"});
                continue;
            }
            items[*item] = &row;
        }
        for (const auto& [item, row] : items) {
            if (auto room = co_await check_room(page); !room.ok())
                co_return failed_fetch(std::move(room).error(), caller_.take_sent());
            auto done = co_await download(item, *row, page);
            if (!done.ok()) co_return failed_fetch(std::move(done).error(), caller_.take_sent());
        }
        page.next_cursor = std::move(listed->next_cursor);
        page.cycle_done = listed->cycle_done;
        page.requests = caller_.take_sent();
        co_return page;
    }

  private:
    // Before each download: once the folder and the images this page already holds leave no
    // room under the budget (or on the disk), stop with the error the store would give the
    // page, before more archives are fetched. The size of an archive is not known before it
    // is downloaded, so "no room" is "nothing left": used + incoming reaches the budget.
    awaitable<Status> check_room(const Page& page) {
        AdapterStore* store = caller_.deps().store;
        if (store == nullptr) co_return Status{};  // dry runs: nothing is written
        ImageCandidates candidates;
        for (const Image& i : page.records.images) {
            candidates.emplace_back(i.sha256, static_cast<std::int64_t>(i.data.size()));
        }
        auto space = co_await store->image_space(folder_, std::move(candidates));
        if (!space.ok()) co_return std::move(space).error();
        const std::string where =
            "image folder " + (folder_.empty() ? std::string("beside the database") : folder_);
        if (budget_bytes_ > 0 && space->used_bytes + space->incoming_bytes >= budget_bytes_) {
            co_return Error::storage(
                where + " holds " + std::to_string(space->used_bytes / kMiB) +
                " MiB and this page " + std::to_string(space->incoming_bytes) +
                " more bytes: its budget of " + std::to_string(budget_bytes_ / kMiB) +
                " MiB is reached, so image downloads stop until the budget (images stream "
                "option disk_budget_mb) is raised or space is freed");
        }
        constexpr std::int64_t kReserve = 64 * kMiB;  // left for the database and its WAL
        if (space->free_bytes && *space->free_bytes < space->incoming_bytes + kReserve) {
            co_return Error::storage("the disk holding the " + where + " has only " +
                                     std::to_string(*space->free_bytes / kMiB) +
                                     " MiB free: image downloads stop until space is freed");
        }
        co_return Status{};
    }

    // One item's archive into `page`: its images, its removal, or a dead letter.
    awaitable<Status> download(const std::string& item, const json& row, Page& page) {
        const std::string key = "itemNo=" + item;
        auto request = caller_.request("product!getImages",
                                       {{"itemNo", item}, {"size", std::to_string(size_)}});
        if (!request.ok()) co_return std::move(request).error();
        auto response = co_await caller_.deps().http.send(std::move(*request));
        caller_.note_sent(requests_sent(response));
        if (!response.ok()) co_return std::move(response).error();
        const auto modified = modified_time(row);
        if (response->status == 200 && looks_like_zip(response->body)) {
            auto unpacked = unpack_zip(response->body);
            if (auto* refused = std::get_if<ArchiveRefusal>(&unpacked)) {
                page.records.dead_letters.push_back(DeadLetter{
                    key, row.dump(), "product!getImages " + item + ": " + refused->reason});
                co_return Status{};
            }
            page.records.replaced_image_sets.push_back(item);
            std::int32_t position = 0;
            for (ArchiveEntry& entry : std::get<std::vector<ArchiveEntry>>(unpacked)) {
                Image image;
                image.product_external_id = item;
                image.position = position++;
                image.sha256 = sha256_hex(entry.data);
                image.data = std::move(entry.data);
                if (modified) image.source_modified_at = caller_.deps().zone.to_utc(*modified);
                page.records.images.push_back(std::move(image));
            }
            co_return Status{};
        }
        // Not an archive: the platform's error (JSON envelope or plain text), or a 404.
        auto data = parse_envelope(*response, caller_.deps().clock.now());
        if (data.ok()) {
            co_return Error::bad_response("product!getImages " + item +
                                          ": the answer is neither a ZIP archive nor an error");
        }
        if (data.error().kind == ErrorKind::config) {
            // 404 or "The record you visiting does NOT exist.": the item is gone.
            page.records.replaced_image_sets.push_back(item);
            co_return Status{};
        }
        co_return std::move(data).error();
    }

    Caller caller_;
    WatermarkLoop loop_;
    std::int64_t size_;
    std::string folder_;
    std::int64_t budget_bytes_;
    std::string stream_name_;
};

}  // namespace

std::vector<OptionSpec> images_options() {
    // Besides modified_since and lookback, which every gmtModified stream takes.
    return {
        {"size", OptionType::integer, std::to_string(kMaxImageSize),
         "image size in pixels asked from product!getImages.do (1 to 800)"},
        {"folder", OptionType::string, "",
         "where image files are kept (default: <database name>-images beside the database)"},
        {"disk_budget_mb", OptionType::integer, "2048",
         "the image folder may not grow past this many MiB; downloads stop with an error"},
    };
}

StreamSyncPtr make_images_stream(const AdapterDeps& deps, const Credentials& credentials,
                                 const StreamConfig& stream) {
    return std::make_unique<ImagesStream>(deps, credentials, stream);
}

}  // namespace csync::sunsky
