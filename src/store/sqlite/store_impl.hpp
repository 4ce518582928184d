#pragma once
// The state behind SqliteStore, shared by the files that implement it (opening and writing in
// sqlite_store.cpp, reads and administration in sqlite/admin_queries.cpp, export in
// sqlite/export.cpp). Internal to src/store.

#include <sys/resource.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include "store/daemon_lock.hpp"
#include "store/image_files.hpp"
#include "store/migrator.hpp"
#include "store/sqlite/page_writer.hpp"
#include "store/sqlite/support.hpp"
#include "store/sqlite_store.hpp"

namespace csync {

namespace store::sqlite {

// PRAGMA synchronous = FULL for the commits made while it lives, NORMAL again after: the
// connection runs NORMAL (a commit reaches the WAL; the WAL is synced at checkpoints), and a
// commit whose loss the platform would not repair (a rotated token, an acknowledged page) is
// synced to disk before it returns.
class FullSync {
  public:
    explicit FullSync(SQLite::Database& db) : db_(db) { db_.exec("PRAGMA synchronous = FULL"); }
    ~FullSync() {
        try {
            db_.exec("PRAGMA synchronous = NORMAL");
        } catch (const std::exception&) {
            // FULL stays: slower pages, never less safe.
        }
    }
    FullSync(const FullSync&) = delete;
    FullSync& operator=(const FullSync&) = delete;

  private:
    SQLite::Database& db_;
};

}  // namespace store::sqlite

struct SqliteStore::Impl {
    Impl(std::string db_path, Clock& c, std::optional<store::DaemonLock> daemon_lock,
         std::unique_ptr<SQLite::Database> database, std::vector<store::Migration> known,
         int version, bool ro)
        : path(std::move(db_path)),
          clock(c),
          lock(std::move(daemon_lock)),
          db(std::move(database)),
          migrations(std::move(known)),
          schema_version(version),
          read_only(ro) {}

    // Declaration order is destruction order in reverse: statements are finalized before the
    // connection closes, and the daemon lock is released only after both.
    std::string path;
    Clock& clock;
    std::optional<store::DaemonLock> lock;
    std::unique_ptr<SQLite::Database> db;
    std::unique_ptr<store::sqlite::PageStatements> page;
    std::vector<store::Migration> migrations;
    int schema_version = 0;
    bool read_only = false;
    std::optional<int> fail_after_rows;
    // PRAGMA synchronous as the last durable page committed (a test reads it); -1 before one.
    int durable_commit_synchronous = -1;
    // Image folders by root, each swept of unreferenced files at its first use.
    std::map<std::string, store::ImageFolder> image_folders;

    bool image_file_named(const std::string& file) {
        store::sqlite::Use q(page_statements().image_file_named);
        q->bind(1, file);
        return q->executeStep();
    }

    // The folder a page's images go to: the page's own, or <db dir>/<db name>-images.
    store::ImageFolder& image_folder(const std::string& configured) {
        namespace fs = std::filesystem;
        const fs::path db_file(path);
        fs::path root = configured.empty()
                            ? db_file.parent_path() / (db_file.stem().string() + "-images")
                            : fs::path(configured);
        root = fs::absolute(root).lexically_normal();
        auto [it, added] = image_folders.try_emplace(root.string(), root);
        if (added) {
            // Files written for pages that never committed (a crash, a failed page).
            it->second.remove_unreferenced(
                [&](const std::string& f) { return image_file_named(f); });
        }
        return it->second;
    }

    int latest_version() const { return migrations.empty() ? 0 : migrations.back().version; }
    std::string now_text() const {
        return format_utc_iso(store::sqlite::to_utc_seconds(clock.now()));
    }

    // Runs `fn`, turning any exception into Error::storage "<what> in database <path> failed:
    // <SQLite's message>". `fn` returns the method's Result.
    template <class F>
    auto guarded(const std::string& what, F&& fn) -> decltype(fn()) {
        try {
            return fn();
        } catch (const SQLite::Exception& e) {
            return Error::storage(what + " in database " + path + " failed: " + sqlite_cause(e));
        } catch (const std::exception& e) {
            return Error::storage(what + " in database " + path + " failed: " + e.what());
        }
    }

    // SQLite's message, led by the cause when the file system refused a write: a file-size
    // limit (EFBIG) or a quota (EDQUOT) reach SQLite only as "disk I/O error". Its system errno
    // is the errno when it noticed, which the unwinding may have replaced: the main file's last
    // errno, then a file-size limit the database or its journal has reached, say the same.
    std::string sqlite_cause(const SQLite::Exception& e) const {
        auto no_room = [](int err) { return err == ENOSPC || err == EFBIG || err == EDQUOT; };
        int sys = db ? sqlite3_system_errno(db->getHandle()) : 0;
        if (int last = 0; !no_room(sys) && db &&
                          sqlite3_file_control(db->getHandle(), "main", SQLITE_FCNTL_LAST_ERRNO,
                                               &last) == SQLITE_OK) {
            if (no_room(last)) sys = last;
        }
        if (!no_room(sys) && (e.getErrorCode() & 0xff) == SQLITE_IOERR && size_limit_reached())
            sys = EFBIG;
        if (!no_room(sys) && (e.getErrorCode() & 0xff) != SQLITE_FULL) return e.what();
        std::string cause = "disk full or file size limit reached";
        if (no_room(sys)) {
            const char* name = sys == ENOSPC ? "ENOSPC" : sys == EFBIG ? "EFBIG" : "EDQUOT";
            cause += std::string(" (errno ") + name + ": " + std::strerror(sys) + ")";
        }
        return cause + " writing " + path + " (SQLite: " + e.what() + ")";
    }
    // The database, its WAL or its journal is within one page write of RLIMIT_FSIZE.
    bool size_limit_reached() const {
        rlimit limit{};
        if (getrlimit(RLIMIT_FSIZE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return false;
        constexpr off_t kLargestWrite = 65536 + 24;  // a largest page and its WAL frame header
        for (const char* suffix : {"", "-wal", "-journal"}) {
            struct stat st {};
            if (::stat((path + suffix).c_str(), &st) == 0 &&
                static_cast<rlim_t>(st.st_size + kLargestWrite) > limit.rlim_cur) {
                return true;
            }
        }
        return false;
    }

    // Methods that read or write records need the full schema of this binary.
    Status require_current_schema() const {
        if (schema_version == latest_version()) {
            return {};
        }
        return Error::storage("database " + path + " has schema version " +
                              std::to_string(schema_version) + ", this commerce-syncd needs " +
                              std::to_string(latest_version()) +
                              ": run `commerce-syncd migrate` first");
    }
    Status require_writable() const {
        if (!read_only) {
            return {};
        }
        return Error::storage("database " + path + " is open read-only");
    }

    store::sqlite::PageStatements& page_statements() {
        if (!page) {
            page = std::make_unique<store::sqlite::PageStatements>(*db);
        }
        return *page;
    }

    bool account_exists(const std::string& account) {
        store::sqlite::Use q(page_statements().account_exists);
        q->bind(1, account);
        return q->executeStep();
    }
    Status require_account(const std::string& account) {
        if (account_exists(account)) {
            return {};
        }
        return Error::storage("account '" + account + "' is not registered in database " + path +
                              ": register_account must run before its streams");
    }
    // Run ids <= 0 mean "no recorded run"; others must come from begin_run.
    Status require_run(std::int64_t run_id) {
        if (run_id <= 0) {
            return {};
        }
        store::sqlite::Use q(page_statements().run_exists);
        q->bind(1, run_id);
        if (q->executeStep()) {
            return {};
        }
        return Error::storage("run " + std::to_string(run_id) + " does not exist in database " +
                              path + ": pass the id begin_run returned");
    }
};

}  // namespace csync
