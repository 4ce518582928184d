// SqliteStore's reads and administration: account state and the reads adapters make, status,
// retention, dead letters and the daemon's operational tables.

#include <set>
#include <string>
#include <vector>

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "log/log.hpp"
#include "store/sqlite/page_writer.hpp"
#include "store/sqlite/store_impl.hpp"
#include "store/sqlite/support.hpp"

namespace csync {

using namespace store::sqlite;

// --- account state and reads for adapters ------------------------------------------------------

Result<AccountState> SqliteStore::load_account_state(const std::string& account) {
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    return impl_->guarded(
        "reading the state of account '" + account + "'", [&]() -> Result<AccountState> {
            Statement q(*impl_->db, "SELECT name, value FROM account_state WHERE account = ?1");
            q.bind(1, account);
            AccountState out;
            while (q.executeStep()) {
                out.emplace(q.getColumn(0).getString(), q.getColumn(1).getString());
            }
            return out;
        });
}

Status SqliteStore::save_account_state(const std::string& account, const AccountState& values) {
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return st;
    }
    if (auto st = impl_->require_writable(); !st.ok()) {
        return st;
    }
    return impl_->guarded("saving the state of account '" + account + "'", [&]() -> Status {
        SQLite::Database& db = *impl_->db;
        // A rotated refresh token is the only copy once the platform has answered: this one
        // commit is synced to disk (FULL), not only to the WAL as pages are (NORMAL).
        store::sqlite::FullSync full_sync(db);
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        if (auto known = impl_->require_account(account); !known.ok()) {
            return known;
        }
        Statement q(db,
                    "INSERT INTO account_state (account, name, value, updated_at)"
                    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (account, name) DO UPDATE SET"
                    " value = excluded.value, updated_at = excluded.updated_at");
        const std::string now = impl_->now_text();
        for (const auto& [name, value] : values) {
            q.bind(1, account);
            q.bind(2, name);
            q.bind(3, value);
            q.bind(4, now);
            q.exec();
            q.reset();
        }
        tx.commit();
        return {};
    });
}

namespace {

Status require_product_entity(const std::string& entity) {
    if (entity == "product") {
        return {};
    }
    return Error::config("store reads for adapters know the entity 'product', not '" + entity +
                         "'");
}

}  // namespace

Result<KnownVersions> SqliteStore::known_versions(const std::string& account,
                                                  const std::string& entity,
                                                  const std::string& scope,
                                                  const std::vector<std::string>& ids) {
    if (auto st = require_product_entity(entity); !st.ok()) {
        return std::move(st).error();
    }
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    return impl_->guarded(
        "reading stored versions of " + std::to_string(ids.size()) + " products of account '" +
            account + "'",
        [&]() -> Result<KnownVersions> {
            SQLite::Transaction snapshot(*impl_->db, SQLite::TransactionBehavior::DEFERRED);
            Statement q(*impl_->db,
                        "SELECT content_hash, source_modified_at,"
                        " max(last_seen_at, coalesce((SELECT s.last_seen_at FROM product_seen s"
                        " WHERE s.account = ?1 AND s.external_id = ?2), '')), status"
                        " FROM products WHERE account = ?1 AND external_id = ?2 AND scope = ?3");
            KnownVersions out;
            for (const std::string& id : ids) {
                q.bind(1, account);
                q.bind(2, id);
                q.bind(3, scope);
                if (q.executeStep()) {
                    KnownVersion v;
                    v.content_hash = q.getColumn(0).getString();
                    v.source_modified_at = time_column(q.getColumn(1));
                    v.last_seen_at = time_column(q.getColumn(2));
                    v.deleted = q.getColumn(3).getString() == "deleted";
                    out.insert_or_assign(id, std::move(v));
                }
                q.reset();
            }
            return out;
        });
}

Result<std::vector<std::string>> SqliteStore::unseen_since(const std::string& account,
                                                           const std::string& entity,
                                                           const std::string& scope,
                                                           UtcTime pass_start, std::size_t limit) {
    if (auto st = require_product_entity(entity); !st.ok()) {
        return std::move(st).error();
    }
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    return impl_->guarded(
        "listing products of account '" + account + "' unseen since " + format_utc_iso(pass_start),
        [&]() -> Result<std::vector<std::string>> {
            // `scope <> ''` lets the partial index products_by_scope serve a scoped pass.
            Statement q(*impl_->db,
                        scope.empty()
                            ? "SELECT external_id FROM products_last_seen JOIN products"
                              " USING (account, external_id) WHERE account = ?1 AND scope = ?2"
                              " AND status <> 'deleted' AND products_last_seen.last_seen_at < ?3"
                              " ORDER BY external_id LIMIT ?4"
                            : "SELECT external_id FROM products WHERE account = ?1 AND scope = ?2"
                              " AND scope <> '' AND status <> 'deleted' AND last_seen_at < ?3"
                              " ORDER BY external_id LIMIT ?4");
            q.bind(1, account);
            q.bind(2, scope);
            q.bind(3, format_utc_iso(pass_start));
            q.bind(4, static_cast<std::int64_t>(limit));
            std::vector<std::string> out;
            while (q.executeStep()) {
                out.push_back(q.getColumn(0).getString());
            }
            return out;
        });
}

Result<ImageSpace> SqliteStore::image_space(const std::string& folder,
                                            const ImageCandidates& candidates) {
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    return impl_->guarded("measuring the image folder", [&]() -> Result<ImageSpace> {
        store::ImageFolder& images = impl_->image_folder(folder);
        ImageSpace space;
        std::set<std::string> counted;
        for (const auto& [sha256, bytes] : candidates) {
            if (counted.insert(sha256).second && !images.contains(sha256)) {
                space.incoming_bytes += bytes;
            }
        }
        space.used_bytes = images.bytes_used();
        space.free_bytes = images.bytes_free();
        return space;
    });
}

// --- status -------------------------------------------------------------------------------------

Result<std::vector<StreamStatus>> SqliteStore::status() {
    using Out = Result<std::vector<StreamStatus>>;
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    return impl_->guarded("reading the status", [&]() -> Out {
        SQLite::Database& db = *impl_->db;
        // One read transaction: every figure comes from the same snapshot.
        SQLite::Transaction snapshot(db, SQLite::TransactionBehavior::DEFERRED);
        // Every figure is a primary-key or index lookup (stream_run_summary and record_counts
        // are kept by triggers, migration 0004): the cost does not grow with history.
        Statement streams(
            db,
            "WITH keys AS (SELECT account, stream FROM sync_state"
            "              UNION SELECT account, stream FROM stream_run_summary)"
            " SELECT k.account, k.stream, a.platform, a.state, a.state_reason, s.cursor,"
            " s.updated_at,"
            " (SELECT started_at FROM sync_runs WHERE id = m.last_run_id),"
            " (SELECT finished_at FROM sync_runs WHERE id = m.last_success_run_id),"
            " (SELECT count(*) FROM dead_letters d WHERE d.account = k.account"
            "   AND d.stream = k.stream AND d.resolved_at IS NULL),"
            " e.error, e.finished_at"
            " FROM keys k"
            " LEFT JOIN stream_run_summary m ON m.account = k.account AND m.stream = k.stream"
            " LEFT JOIN sync_runs e ON e.id = m.last_error_run_id"
            " LEFT JOIN accounts a ON a.name = k.account"
            " LEFT JOIN sync_state s ON s.account = k.account AND s.stream = k.stream"
            " ORDER BY k.account, k.stream");
        Statement records(db, "SELECT records FROM record_counts WHERE account = ?1 AND tbl = ?2");
        Statement balance(db,
                          "SELECT balance, currency, observed_at FROM account_balances"
                          " WHERE account = ?1");
        std::vector<StreamStatus> out;
        while (streams.executeStep()) {
            StreamStatus s;
            s.account = streams.getColumn(0).getString();
            s.stream = streams.getColumn(1).getString();
            s.platform = text_column(streams.getColumn(2)).value_or("");
            s.account_state = text_column(streams.getColumn(3)).value_or("ok");
            s.account_state_reason = text_column(streams.getColumn(4)).value_or("");
            if (auto cursor = text_column(streams.getColumn(5))) {
                s.cursor = nlohmann::json::parse(*cursor, nullptr, /*allow_exceptions=*/false);
                if (s.cursor.is_discarded()) {
                    s.cursor = *cursor;  // shown as text; load_cursor reports it
                }
            }
            s.cursor_updated_at = time_column(streams.getColumn(6));
            s.last_run_started_at = time_column(streams.getColumn(7));
            s.last_success_at = time_column(streams.getColumn(8));
            s.dead_letters = streams.getColumn(9).getInt64();

            s.last_error = text_column(streams.getColumn(10));
            s.last_error_at = time_column(streams.getColumn(11));
            if (const EntityTable* table = counted_table_of_stream(s.stream)) {
                Use count(records);
                count->bind(1, s.account);
                count->bind(2, table->table);
                s.records = count->executeStep() ? count->getColumn(0).getInt64() : 0;
            }
            if (!out.empty() && out.back().account == s.account) {
                s.account_balance = out.back().account_balance;  // rows come ordered by account
            } else {
                Use read(balance);
                read->bind(1, s.account);
                if (read->executeStep()) {
                    // Written by this store from a Decimal: exact text, parsed back unchanged.
                    auto amount = Decimal::parse(read->getColumn(0).getString());
                    auto observed = time_column(read->getColumn(2));
                    if (amount && observed) {
                        s.account_balance = AccountBalance{
                            *amount, text_column(read->getColumn(1)).value_or(""), *observed};
                    }
                }
            }
            out.push_back(std::move(s));
        }
        return out;
    });
}

// --- retention ---------------------------------------------------------------------------------

Result<SqliteStore::PruneCount> SqliteStore::prune_batch(UtcTime runs_before,
                                                         UtcTime changes_before,
                                                         std::int64_t batch) {
    using Out = Result<PruneCount>;
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    if (auto st = impl_->require_writable(); !st.ok()) {
        return std::move(st).error();
    }
    return impl_->guarded("pruning history", [&]() -> Out {
        SQLite::Database& db = *impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        // Only the oldest `batch` rows are looked at (ids grow with time, so the scan stops
        // there); of those, the ones older than `before` that `keep` does not hold back go.
        // Table and column names are literals from this function, never input.
        auto prune_oldest = [&](const std::string& table, const std::string& time_column,
                                UtcTime before, const std::string& keep) {
            Statement q(db, "DELETE FROM " + table + " WHERE id IN (SELECT id FROM (SELECT id, " +
                                time_column + " FROM " + table + " ORDER BY id LIMIT ?2) WHERE " +
                                time_column + " < ?1 AND " + keep + ")");
            q.bind(1, format_utc_iso(before));
            q.bind(2, batch);
            return static_cast<std::int64_t>(q.exec());
        };
        PruneCount n;
        n.runs = prune_oldest("sync_runs", "started_at", runs_before, kRunsKeptByRetention);
        n.changes = prune_oldest("changes", "changed_at", changes_before, kChangesKeptByRetention);
        tx.commit();
        return n;
    });
}

// --- dead letters (CLI) ------------------------------------------------------------------------

namespace {

constexpr const char* kDeadLetterColumns =
    "SELECT id, account, stream, record_key, payload, error, attempts, first_seen_at,"
    " last_seen_at, resolved_at FROM dead_letters";

// One row of a query on kDeadLetterColumns.
DeadLetterRow dead_letter_row(Statement& q) {
    DeadLetterRow r;
    r.id = q.getColumn(0).getInt64();
    r.account = q.getColumn(1).getString();
    r.stream = q.getColumn(2).getString();
    r.record_key = q.getColumn(3).getString();
    r.payload = q.getColumn(4).getString();
    r.error = q.getColumn(5).getString();
    r.attempts = q.getColumn(6).getInt64();
    r.first_seen_at = q.getColumn(7).getString();
    r.last_seen_at = q.getColumn(8).getString();
    r.resolved_at = text_column(q.getColumn(9));
    return r;
}

}  // namespace

Result<std::vector<DeadLetterRow>> SqliteStore::dead_letters(const DeadLetterFilter& filter) {
    using Out = Result<std::vector<DeadLetterRow>>;
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    return impl_->guarded("reading dead letters", [&]() -> Out {
        Statement q(*impl_->db, kDeadLetterColumns +
                                    std::string(" WHERE (?1 IS NULL OR account = ?1)"
                                                " AND (?2 IS NULL OR stream = ?2)"
                                                " AND (?3 OR resolved_at IS NULL) ORDER BY id"));
        if (filter.account) q.bind(1, *filter.account);
        if (filter.stream) q.bind(2, *filter.stream);
        q.bind(3, filter.include_resolved ? 1 : 0);
        std::vector<DeadLetterRow> out;
        while (q.executeStep()) out.push_back(dead_letter_row(q));
        return out;
    });
}

Status SqliteStore::dismiss_dead_letters(const std::vector<std::int64_t>& ids) {
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return st;
    }
    if (auto st = impl_->require_writable(); !st.ok()) {
        return st;
    }
    const std::string now = impl_->now_text();
    return impl_->guarded("dismissing dead letters", [&]() -> Status {
        SQLite::Transaction tx(*impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
        Statement q(
            *impl_->db,
            "UPDATE dead_letters SET resolved_at = ?2 WHERE id = ?1 AND resolved_at IS NULL");
        for (const std::int64_t id : ids) {
            q.bind(1, id);
            q.bind(2, now);
            if (q.exec() != 1) {
                return Error::config("dead letter " + std::to_string(id) +
                                     " is unknown or already resolved; nothing was dismissed");
            }
            q.reset();
        }
        tx.commit();
        return {};
    });
}

Result<std::optional<DeadLetterRow>> SqliteStore::dead_letter(std::int64_t id) {
    using Out = Result<std::optional<DeadLetterRow>>;
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return std::move(st).error();
    }
    return impl_->guarded("reading dead letter " + std::to_string(id), [&]() -> Out {
        Statement q(*impl_->db, kDeadLetterColumns + std::string(" WHERE id = ?1"));
        q.bind(1, id);
        if (!q.executeStep()) return std::optional<DeadLetterRow>();
        return std::optional<DeadLetterRow>(dead_letter_row(q));
    });
}

Status SqliteStore::record_dead_letter_retry_failure(std::int64_t id, const std::string& error) {
    if (auto st = impl_->require_current_schema(); !st.ok()) {
        return st;
    }
    if (auto st = impl_->require_writable(); !st.ok()) {
        return st;
    }
    const std::string letter = "dead letter " + std::to_string(id);
    return impl_->guarded("recording the retry of " + letter, [&]() -> Status {
        Statement q(*impl_->db,
                    "UPDATE dead_letters SET error = ?2, attempts = attempts + 1,"
                    " last_seen_at = ?3 WHERE id = ?1 AND resolved_at IS NULL");
        q.bind(1, id);
        q.bind(2, log::redact(error));
        q.bind(3, impl_->now_text());
        if (q.exec() != 1) return Error::config(letter + " is unknown or already resolved");
        return {};
    });
}

// --- operations ---------------------------------------------------------------------------------

Status SqliteStore::set_account_links(
    const std::vector<std::pair<std::string, std::string>>& links) {
    if (auto st = impl_->require_current_schema(); !st.ok()) return st;
    if (auto st = impl_->require_writable(); !st.ok()) return st;
    const std::string now = impl_->now_text();
    return impl_->guarded("recording the account links", [&]() -> Status {
        SQLite::Transaction tx(*impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
        impl_->db->exec("DELETE FROM account_links");
        Statement q(
            *impl_->db,
            "INSERT INTO account_links (account, stock_from, updated_at) VALUES (?1, ?2, ?3)");
        for (const auto& [account, stock_from] : links) {
            q.bind(1, account);
            q.bind(2, stock_from);
            q.bind(3, now);
            q.exec();
            q.reset();
        }
        tx.commit();
        return {};
    });
}

Status SqliteStore::save_account_metrics(const std::string& account, const AccountMetrics& m) {
    if (auto st = impl_->require_current_schema(); !st.ok()) return st;
    if (auto st = impl_->require_writable(); !st.ok()) return st;
    nlohmann::json responses = nlohmann::json::object();
    for (const auto& [code, n] : m.responses) responses[std::to_string(code)] = n;
    return impl_->guarded("saving the HTTP figures of account '" + account + "'", [&]() -> Status {
        Statement q(*impl_->db,
                    "INSERT INTO account_metrics (account, responses_json, transport_errors,"
                    " rate_limit_wait_us, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)"
                    " ON CONFLICT (account) DO UPDATE SET responses_json = excluded.responses_json,"
                    " transport_errors = excluded.transport_errors,"
                    " rate_limit_wait_us = excluded.rate_limit_wait_us,"
                    " updated_at = excluded.updated_at");
        q.bind(1, account);
        q.bind(2, responses.dump());
        q.bind(3, m.transport_errors);
        q.bind(4, m.rate_limit_wait_us);
        q.bind(5, impl_->now_text());
        q.exec();
        return {};
    });
}

Result<std::map<std::string, AccountMetrics>> SqliteStore::account_metrics() {
    if (auto st = impl_->require_current_schema(); !st.ok()) return st.error();
    std::map<std::string, AccountMetrics> out;
    auto st = impl_->guarded("reading the accounts' HTTP figures", [&]() -> Status {
        Statement q(*impl_->db,
                    "SELECT account, responses_json, transport_errors, rate_limit_wait_us"
                    " FROM account_metrics ORDER BY account");
        while (q.executeStep()) {
            AccountMetrics& m = out[q.getColumn(0).getString()];
            auto responses = nlohmann::json::parse(q.getColumn(1).getString(), nullptr, false);
            if (responses.is_object()) {
                for (const auto& [code, n] : responses.items()) {
                    if (n.is_number_integer()) m.responses[std::stoi(code)] = n.get<std::int64_t>();
                }
            }
            m.transport_errors = q.getColumn(2).getInt64();
            m.rate_limit_wait_us = q.getColumn(3).getInt64();
        }
        return {};
    });
    if (!st.ok()) return st.error();
    return out;
}

}  // namespace csync
