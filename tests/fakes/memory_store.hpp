#pragma once
// An in-memory Store for engine and adapter tests: records keyed by (account, external_id), one
// cursor per stream, runs, and fault injection. `fail_apply_at(n)` makes the n-th apply_page call
// (1-based, counting every call) fail with a storage error and change nothing — neither records
// nor cursor — exactly like a rolled-back SQLite transaction. Rows are stamped with
// last_seen_at from the clock it is given (the system clock by default), as the real store does,
// so that the reads for adapters (known_versions, unseen_since) behave the same.
// Thread safety: every method locks, so a test may inspect it from the io_context thread while
// the engine writes from the database thread. Never throws (except std::bad_alloc).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/digest.hpp"
#include "csync/ports/clock.hpp"
#include "csync/ports/store.hpp"

namespace csync::testing {

class MemoryStore final : public Store {
  public:
    MemoryStore()
        : now_([] {
              return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
          }) {}
    explicit MemoryStore(const Clock& clock)
        : now_([&clock] { return std::chrono::floor<std::chrono::seconds>(clock.now()); }) {}

    struct Run {
        std::int64_t id = 0;
        StreamKey key;
        UtcTime started_at{};
        bool finished = false;
        RunSummary summary;
    };

    struct AccountRow {
        std::string platform;
        std::string state = "ok";
        std::string reason;
    };

    // --- Store -------------------------------------------------------------------------------

    Status register_account(const std::string& account, const std::string& platform) override {
        std::lock_guard lock(mu_);
        accounts_[account].platform = platform;
        return {};
    }

    Status set_account_state(const std::string& account, const std::string& state,
                             const std::string& reason) override {
        if (state != "ok" && state != "parked") {
            return Error::config("account state '" + state + "' is not one of: ok, parked");
        }
        std::lock_guard lock(mu_);
        auto it = accounts_.find(account);
        if (it == accounts_.end()) {
            return Error::storage("MemoryStore: set_account_state on unregistered account '" +
                                  account + "'");
        }
        it->second.state = state;
        it->second.reason = reason;
        return {};
    }

    Result<std::optional<nlohmann::json>> load_cursor(const StreamKey& key) override {
        std::lock_guard lock(mu_);
        ++load_cursor_calls_;
        if (load_cursor_error_) return *load_cursor_error_;
        auto it = cursors_.find(key_of(key));
        if (it == cursors_.end()) return std::optional<nlohmann::json>{};
        return std::optional<nlohmann::json>{it->second.value};
    }

    Result<ApplyStats> apply_page(const StreamKey& key, std::int64_t run_id,
                                  const PageRecords& records,
                                  const nlohmann::json& next_cursor) override {
        std::lock_guard lock(mu_);
        ++apply_calls_;
        if (auto it = apply_failures_.find(apply_calls_); it != apply_failures_.end()) {
            return it->second;  // the "transaction" rolls back: nothing below has happened
        }
        const std::string& acc = key.account;
        const UtcTime now = now_();
        ApplyStats stats;
        for (const auto& p : records.products) {
            upsert(products_, acc, p.external_id, p, key.stream, now, stats, same_product);
        }
        for (const auto& c : records.categories) {
            upsert(categories_, acc, c.external_id, c, key.stream, now, stats, same_category);
        }
        for (const auto& s : records.stock_levels) {
            upsert(stock_, acc, s.external_id, s, key.stream, now, stats, same_stock);
        }
        for (const auto& o : records.orders) {
            upsert(orders_, acc, o.external_id, o, key.stream, now, stats, same_order);
        }
        for (const auto& img : records.images) {
            images_[{acc, img.product_external_id, img.position}] = img;
        }
        for (const auto& d : records.dead_letters) {
            dead_letters_.push_back({key, d});
            ++stats.dead_lettered;
        }
        for (const auto& id : records.deleted_product_ids) {
            auto it = products_.find({acc, id});
            if (it != products_.end() && it->second.value.status != ProductStatus::deleted) {
                it->second.value.status = ProductStatus::deleted;
                ++stats.deleted;
                ++tombstones_written_;
            }
        }
        for (const auto& id : records.seen_product_ids) {
            auto it = products_.find({acc, id});
            if (it != products_.end() && it->second.value.status != ProductStatus::deleted) {
                it->second.last_seen_at = now;
                ++stats.unchanged;
            }
        }
        CursorRow& row = cursors_[key_of(key)];
        row.value = next_cursor;
        row.updated_by_run = run_id;
        ++applied_pages_;
        return stats;
    }

    Result<std::int64_t> begin_run(const StreamKey& key, UtcTime started_at) override {
        std::lock_guard lock(mu_);
        if (begin_run_error_) return *begin_run_error_;
        Run run;
        run.id = static_cast<std::int64_t>(runs_.size()) + 1;
        run.key = key;
        run.started_at = started_at;
        runs_.push_back(run);
        return run.id;
    }

    Status finish_run(std::int64_t run_id, const RunSummary& summary) override {
        std::lock_guard lock(mu_);
        if (run_id < 1 || run_id > static_cast<std::int64_t>(runs_.size())) {
            return Error::storage("MemoryStore: finish_run of unknown run " +
                                  std::to_string(run_id));
        }
        Run& run = runs_[static_cast<std::size_t>(run_id - 1)];
        run.finished = true;
        run.summary = summary;
        return {};
    }

    Status reset_cursor(const StreamKey& key) override {
        std::lock_guard lock(mu_);
        cursors_.erase(key_of(key));
        return {};
    }

    Result<std::vector<StreamStatus>> status() override {
        std::lock_guard lock(mu_);
        std::set<std::pair<std::string, std::string>> keys;
        for (const auto& [k, row] : cursors_) keys.insert(k);
        for (const auto& run : runs_) keys.insert(key_of(run.key));
        std::vector<StreamStatus> out;
        for (const auto& [account, stream] : keys) {
            StreamStatus s;
            s.account = account;
            s.stream = stream;
            if (auto a = accounts_.find(account); a != accounts_.end()) {
                s.platform = a->second.platform;
                s.account_state = a->second.state;
                s.account_state_reason = a->second.reason;
            } else {
                s.account_state = "ok";
            }
            if (auto c = cursors_.find({account, stream}); c != cursors_.end()) {
                s.cursor = c->second.value;
                // The store has no clock of its own: a cursor dates from the run that wrote it.
                if (const Run* r = find_run(c->second.updated_by_run)) {
                    s.cursor_updated_at = r->started_at;
                }
            }
            for (const auto& run : runs_) {
                if (run.key.account != account || run.key.stream != stream) continue;
                s.last_run_started_at = run.started_at;
                if (!run.finished) continue;
                if (run.summary.error) {
                    s.last_error = run.summary.error;
                    s.last_error_at = run.summary.finished_at;
                } else {
                    s.last_success_at = run.summary.finished_at;
                }
            }
            s.records = count_owned(products_, account, stream) +
                        count_owned(categories_, account, stream) +
                        count_owned(stock_, account, stream) +
                        count_owned(orders_, account, stream);
            for (const auto& d : dead_letters_) {
                if (d.key.account == account && d.key.stream == stream) ++s.dead_letters;
            }
            out.push_back(std::move(s));
        }
        return out;
    }

    Result<AccountState> load_account_state(const std::string& account) override {
        std::lock_guard lock(mu_);
        auto it = account_state_.find(account);
        return it == account_state_.end() ? AccountState{} : it->second;
    }

    Status save_account_state(const std::string& account, const AccountState& values) override {
        std::lock_guard lock(mu_);
        ++account_state_saves_;
        if (save_account_state_error_) return *save_account_state_error_;
        if (!accounts_.count(account)) {
            return Error::storage("MemoryStore: save_account_state on unregistered account '" +
                                  account + "'");
        }
        for (const auto& [name, value] : values) account_state_[account][name] = value;
        return {};
    }

    Result<KnownVersions> known_versions(const std::string& account, const std::string& entity,
                                         const std::string& scope,
                                         const std::vector<std::string>& ids) override {
        std::lock_guard lock(mu_);
        if (entity != "product") return Error::config("MemoryStore: unknown entity " + entity);
        KnownVersions out;
        for (const auto& id : ids) {
            auto it = products_.find({account, id});
            if (it == products_.end() || it->second.value.scope != scope) continue;
            const Product& p = it->second.value;
            KnownVersion v;
            v.content_hash = content_hash(p.raw_json + "|" + std::string(to_string(p.status)));
            v.source_modified_at = p.source_modified_at;
            v.last_seen_at = it->second.last_seen_at;
            v.deleted = p.status == ProductStatus::deleted;
            out.insert_or_assign(id, std::move(v));
        }
        return out;
    }

    Result<std::vector<std::string>> unseen_since(const std::string& account,
                                                  const std::string& entity,
                                                  const std::string& scope, UtcTime pass_start,
                                                  std::size_t limit) override {
        std::lock_guard lock(mu_);
        if (entity != "product") return Error::config("MemoryStore: unknown entity " + entity);
        std::vector<std::string> out;  // the map's order is the id order, as SQLite's ORDER BY
        for (const auto& [k, row] : products_) {
            if (out.size() >= limit) break;
            if (k.first != account || row.value.scope != scope) continue;
            if (row.value.status == ProductStatus::deleted || row.last_seen_at >= pass_start)
                continue;
            out.push_back(k.second);
        }
        return out;
    }

    // --- Fault injection ------------------------------------------------------------------------

    // The n-th apply_page call (1-based, every call counts, failed ones included) fails with
    // `error` and changes nothing.
    void fail_apply_at(int n, Error error = Error::storage("injected: disk I/O error")) {
        std::lock_guard lock(mu_);
        apply_failures_.insert_or_assign(n, std::move(error));
    }
    // Every later save_account_state fails with `error` and saves nothing (nullopt: heal).
    void fail_save_account_state(std::optional<Error> error) {
        std::lock_guard lock(mu_);
        save_account_state_error_ = std::move(error);
    }
    // Every later load_cursor / begin_run fails with `error` (nullopt: heal).
    void fail_load_cursor(std::optional<Error> error) {
        std::lock_guard lock(mu_);
        load_cursor_error_ = std::move(error);
    }
    void fail_begin_run(std::optional<Error> error) {
        std::lock_guard lock(mu_);
        begin_run_error_ = std::move(error);
    }

    // --- Set-up and inspection -------------------------------------------------------------------

    // Stores a cursor as if an earlier run had committed it (run 0: no run).
    void seed_cursor(const StreamKey& key, nlohmann::json cursor) {
        std::lock_guard lock(mu_);
        cursors_[key_of(key)] = CursorRow{std::move(cursor), 0};
    }
    std::optional<nlohmann::json> cursor(const StreamKey& key) const {
        std::lock_guard lock(mu_);
        auto it = cursors_.find(key_of(key));
        if (it == cursors_.end()) return std::nullopt;
        return it->second.value;
    }

    std::optional<Product> product(const std::string& account, const std::string& id) const {
        return find(products_, account, id);
    }
    std::optional<Category> category(const std::string& account, const std::string& id) const {
        return find(categories_, account, id);
    }
    std::optional<StockLevel> stock_level(const std::string& account, const std::string& id) const {
        return find(stock_, account, id);
    }
    std::optional<Order> order(const std::string& account, const std::string& id) const {
        return find(orders_, account, id);
    }
    std::vector<Product> products(const std::string& account) const {
        return all(products_, account);
    }
    std::vector<Category> categories(const std::string& account) const {
        return all(categories_, account);
    }
    std::vector<StockLevel> stock_levels(const std::string& account) const {
        return all(stock_, account);
    }
    std::vector<Order> orders(const std::string& account) const { return all(orders_, account); }
    std::vector<Image> images(const std::string& account, const std::string& product_id) const {
        std::lock_guard lock(mu_);
        std::vector<Image> out;
        for (const auto& [k, img] : images_) {
            if (std::get<0>(k) == account && std::get<1>(k) == product_id) out.push_back(img);
        }
        return out;
    }
    std::vector<DeadLetter> dead_letters(const StreamKey& key) const {
        std::lock_guard lock(mu_);
        std::vector<DeadLetter> out;
        for (const auto& d : dead_letters_) {
            if (d.key == key) out.push_back(d.letter);
        }
        return out;
    }

    std::optional<AccountRow> account(const std::string& name) const {
        std::lock_guard lock(mu_);
        auto it = accounts_.find(name);
        if (it == accounts_.end()) return std::nullopt;
        return it->second;
    }
    std::vector<Run> runs() const {
        std::lock_guard lock(mu_);
        return runs_;
    }

    int apply_calls() const {  // every apply_page call, failed ones included
        std::lock_guard lock(mu_);
        return apply_calls_;
    }
    int applied_pages() const {  // apply_page calls that committed
        std::lock_guard lock(mu_);
        return applied_pages_;
    }
    int account_state_saves() const {  // every save_account_state call, failed ones included
        std::lock_guard lock(mu_);
        return account_state_saves_;
    }
    int tombstones_written() const {
        std::lock_guard lock(mu_);
        return tombstones_written_;
    }
    std::optional<UtcTime> last_seen_at(const std::string& account, const std::string& id) const {
        std::lock_guard lock(mu_);
        auto it = products_.find({account, id});
        if (it == products_.end()) return std::nullopt;
        return it->second.last_seen_at;
    }
    int load_cursor_calls() const {
        std::lock_guard lock(mu_);
        return load_cursor_calls_;
    }

  private:
    using Key = std::pair<std::string, std::string>;  // (account, external_id) or (account, stream)

    template <class T>
    struct Row {
        T value;
        std::string stream;  // the stream that last wrote it
        UtcTime last_seen_at{};
    };
    struct CursorRow {
        nlohmann::json value;
        std::int64_t updated_by_run = 0;
    };
    struct StoredDeadLetter {
        StreamKey key;
        DeadLetter letter;
    };

    static Key key_of(const StreamKey& k) { return {k.account, k.stream}; }

    // Content equality decides inserted / updated / unchanged, like the real store's content hash.
    static bool same_product(const Product& a, const Product& b) {
        auto t = [](const Product& p) {
            return std::tie(p.external_id, p.parent_external_id, p.sku, p.barcode, p.title, p.brand,
                            p.category_external_id, p.price, p.currency, p.stock, p.status,
                            p.source_modified_at, p.raw_json, p.platform_status, p.scope);
        };
        return t(a) == t(b);
    }
    static bool same_category(const Category& a, const Category& b) {
        auto t = [](const Category& c) {
            return std::tie(c.external_id, c.parent_external_id, c.code, c.name, c.status,
                            c.source_modified_at, c.raw_json);
        };
        return t(a) == t(b);
    }
    static bool same_stock(const StockLevel& a, const StockLevel& b) {
        auto t = [](const StockLevel& s) {
            return std::tie(s.external_id, s.sku, s.warehouse, s.quantity, s.change_count,
                            s.source_modified_at, s.raw_json);
        };
        return t(a) == t(b);
    }
    static bool same_order(const Order& a, const Order& b) {
        auto t = [](const Order& o) {
            return std::tie(o.external_id, o.status, o.platform_status, o.currency, o.total_amount,
                            o.created_at, o.source_modified_at, o.raw_json);
        };
        auto line = [](const OrderLine& l) {
            return std::tie(l.line_id, l.sku, l.title, l.quantity, l.unit_price, l.amount);
        };
        if (t(a) != t(b) || a.lines.size() != b.lines.size()) return false;
        for (std::size_t i = 0; i < a.lines.size(); ++i) {
            if (line(a.lines[i]) != line(b.lines[i])) return false;
        }
        return true;
    }

    template <class T, class Same>
    static void upsert(std::map<Key, Row<T>>& table, const std::string& account,
                       const std::string& id, const T& value, const std::string& stream,
                       UtcTime now, ApplyStats& stats, Same same) {
        auto [it, inserted] = table.try_emplace({account, id}, Row<T>{value, stream, now});
        if (inserted) {
            ++stats.inserted;
        } else if (same(it->second.value, value)) {
            it->second.last_seen_at = now;
            ++stats.unchanged;
        } else {
            it->second = Row<T>{value, stream, now};
            ++stats.updated;
        }
    }

    template <class T>
    std::optional<T> find(const std::map<Key, Row<T>>& table, const std::string& account,
                          const std::string& id) const {
        std::lock_guard lock(mu_);
        auto it = table.find({account, id});
        if (it == table.end()) return std::nullopt;
        return it->second.value;
    }

    template <class T>
    std::vector<T> all(const std::map<Key, Row<T>>& table, const std::string& account) const {
        std::lock_guard lock(mu_);
        std::vector<T> out;
        for (const auto& [k, row] : table) {
            if (k.first == account) out.push_back(row.value);
        }
        return out;
    }

    template <class T>
    static std::int64_t count_owned(const std::map<Key, Row<T>>& table, const std::string& account,
                                    const std::string& stream) {
        std::int64_t n = 0;
        for (const auto& [k, row] : table) {
            if (k.first == account && row.stream == stream) ++n;
        }
        return n;
    }

    const Run* find_run(std::int64_t id) const {
        if (id < 1 || id > static_cast<std::int64_t>(runs_.size())) return nullptr;
        return &runs_[static_cast<std::size_t>(id - 1)];
    }

    std::function<UtcTime()> now_;
    mutable std::mutex mu_;
    std::map<std::string, AccountState> account_state_;
    std::optional<Error> save_account_state_error_;
    int account_state_saves_ = 0;
    int tombstones_written_ = 0;
    std::map<std::string, AccountRow> accounts_;
    std::map<Key, Row<Product>> products_;
    std::map<Key, Row<Category>> categories_;
    std::map<Key, Row<StockLevel>> stock_;
    std::map<Key, Row<Order>> orders_;
    std::map<std::tuple<std::string, std::string, std::int32_t>, Image> images_;
    std::vector<StoredDeadLetter> dead_letters_;
    std::map<Key, CursorRow> cursors_;
    std::vector<Run> runs_;
    std::map<int, Error> apply_failures_;
    std::optional<Error> load_cursor_error_;
    std::optional<Error> begin_run_error_;
    int apply_calls_ = 0;
    int applied_pages_ = 0;
    int load_cursor_calls_ = 0;
};

}  // namespace csync::testing
