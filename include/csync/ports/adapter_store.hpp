#pragma once
// What an adapter may keep across restarts and read from the store, outside a page: its
// account's small key/value state (rotating OAuth tokens) and what the store already holds for
// the records one pass owns. Each call runs on the store's executor (the network thread never
// waits on disk) and is awaited by the adapter. Nothing here writes a record: records, their
// tombstones and the cursor still commit with a page, in one transaction.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "csync/domain/time.hpp"
#include "csync/error.hpp"

namespace csync {

// Per account, name -> value. Values are secrets (tokens): never logged, never shown.
using AccountState = std::map<std::string, std::string>;

// What the store holds for one record.
struct KnownVersion {
    std::string content_hash;
    std::optional<UtcTime> source_modified_at;
    std::optional<UtcTime> last_seen_at;
    bool deleted = false;  // a tombstone: the record is gone unless the platform lists it again
};
using KnownVersions = std::map<std::string, KnownVersion>;  // external_id -> version

// Image files a page would add (sha256, byte size), and the folder they would go to as it is now.
using ImageCandidates = std::vector<std::pair<std::string, std::int64_t>>;
struct ImageSpace {
    std::int64_t used_bytes = 0;             // held by the folder's files
    std::int64_t incoming_bytes = 0;         // the candidates' bytes the folder does not hold yet
    std::optional<std::int64_t> free_bytes;  // on the folder's filesystem; nullopt: unknown
};

// Bound to one account: an adapter never reads or writes another account's rows or state.
class AdapterStore {
  public:
    virtual ~AdapterStore() = default;

    virtual boost::asio::awaitable<Result<AccountState>> load_account_state() = 0;
    // Sets these names (others are kept) in one transaction, durable (synced to disk) when it
    // returns: a rotated refresh token is stored before the new access token is used.
    virtual boost::asio::awaitable<Status> save_account_state(AccountState values) = 0;

    // The stored versions of `ids` among the rows of `entity` ("product") in `scope` (the rows
    // one pass owns; "" for adapters without passes). Ids the store does not hold are absent.
    virtual boost::asio::awaitable<Result<KnownVersions>> known_versions(
        std::string entity, std::string scope, std::vector<std::string> ids) = 0;
    // Ids of the rows of `entity` in `scope`, not deleted, whose last_seen_at is before
    // `pass_start`: after a complete pass, its deletion candidates. Sorted, at most `limit`.
    virtual boost::asio::awaitable<Result<std::vector<std::string>>> unseen_since(
        std::string entity, std::string scope, UtcTime pass_start, std::size_t limit) = 0;
    // The image folder `folder` (PageRecords::image_folder: "" is the default beside the
    // database) and what `candidates` would add to it, so a stream can stop downloading before
    // a budget or the disk is exhausted. The default knows no folder: nothing used, every
    // candidate incoming.
    virtual boost::asio::awaitable<Result<ImageSpace>> image_space(std::string folder,
                                                                   ImageCandidates candidates) {
        (void)folder;
        ImageSpace space;
        for (const auto& [sha256, bytes] : candidates) space.incoming_bytes += bytes;
        co_return space;
    }
};

}  // namespace csync
