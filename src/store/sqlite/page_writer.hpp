#pragma once
// The SQLite page writer: every statement apply_page runs, prepared once per store, and the
// writer of one page (its records, their change rows and counts, in the caller's transaction).
// Internal to src/store.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <nlohmann/json.hpp>

#include "core/digest.hpp"
#include "csync/ports/store.hpp"
#include "log/log.hpp"
#include "store/image_files.hpp"
#include "store/page_tally.hpp"
#include "store/record_hash.hpp"
#include "store/sqlite/support.hpp"

namespace csync::store::sqlite {

// One table the page writer keeps by content hash, described once: the statements that read
// its hash, insert, update and touch a row are generated from it, and `status` counts it for
// its streams. A new entity is one more descriptor (and its writer's bindings).
//
// Parameters follow the descriptor: ?1 account, then the key columns, then each field that has
// no `value` expression, then the page's time ("now"). Rows get first_seen_at = last_seen_at =
// now on insert and last_seen_at = now on every write.
struct EntityTable {
    struct Field {
        const char* column;
        // SQL computing the column from the parameters, in place of a parameter of its own.
        const char* value = nullptr;
    };
    const char* table;                 // also its name in record_counts.tbl
    std::vector<const char*> streams;  // the streams whose status counts this table
    std::vector<const char*> key;      // the primary key after `account`
    std::vector<Field> fields;         // content_hash among them
    bool by_hash = true;  // false: only counted (ledger rows are written by their own statements)

    int key_params() const { return static_cast<int>(key.size()); }
    int now_param() const;
};

// Every table the page writer writes and `status` counts.
const std::vector<EntityTable>& entity_tables();
const EntityTable& entity_table(std::string_view table);
// The table whose records a stream's status counts; nullptr for a stream that feeds none.
const EntityTable* counted_table_of_stream(std::string_view stream);

// Binds a statement's parameters in descriptor order, from ?2 (?1 is always the account).
class Params {
  public:
    explicit Params(Statement& statement, int first = 2) : s_(statement), next_(first) {}
    // Bound without a copy: `value` must outlive the statement's execution (the record does).
    Params& text(const std::string& value) {
        s_.bindNoCopy(next_++, value);
        return *this;
    }
    Params& text_or_null(const std::string& value) {
        bind_text_or_null(s_, next_++, value);
        return *this;
    }
    Params& integer(std::int64_t value) {
        s_.bind(next_++, value);
        return *this;
    }
    Params& integer(const std::optional<std::int64_t>& value) {
        bind_int(s_, next_++, value);
        return *this;
    }
    Params& decimal(const std::optional<Decimal>& value) {
        bind_decimal(s_, next_++, value);
        return *this;
    }
    Params& time(const std::optional<UtcTime>& value) {
        bind_time(s_, next_++, value);
        return *this;
    }
    // Text bound by copy, for values that do not outlive the statement's execution.
    Params& copy(std::string value) {
        s_.bind(next_++, std::move(value));
        return *this;
    }

    // The next parameter's index: after the fields, the page time's (EntityTable::now_param).
    int next() const { return next_; }

  private:
    Statement& s_;
    int next_;
};

// The generated statements of one EntityTable.
struct RecordStatements {
    RecordStatements(SQLite::Database& db, const EntityTable& table);

    const EntityTable& entity;
    Statement select_hash;  // ?1..?key: content_hash of the stored row
    Statement insert;       // all parameters
    Statement update;       // all parameters
    Statement touch;        // ?1..?key and ?now: only last_seen_at
    int now_param;
};

// Change rows per multi-row INSERT: a page's changes take a few statements, not one per row.
constexpr int kChangeBatch = 32;

// Every statement apply_page runs, prepared once per store (this is the hot path).
struct PageStatements {
    explicit PageStatements(SQLite::Database& db);

    Statement account_exists;
    Statement run_exists;
    RecordStatements products;
    RecordStatements categories;
    RecordStatements stock_levels;
    RecordStatements orders;
    RecordStatements images;
    Statement image_rows_of;
    Statement delete_image_row;
    Statement image_file_named;
    RecordStatements countries;
    Statement insert_bill;
    Statement touch_bill;
    Statement upsert_balance;
    // An unchanged product in one statement: only last_seen_at, and only when the hash is equal.
    Statement touch_unchanged_product;
    Statement see_unchanged_product;
    Statement see_product;  // the products touch of an unscoped row: ?1, ?2 and ?now
    Statement account_has_stock;
    Statement relink_stock;
    Statement delete_order_lines;
    Statement insert_order_line;
    Statement product_status;
    Statement mark_product_deleted;
    Statement touch_seen_product;
    Statement insert_change;
    Statement insert_changes;  // kChangeBatch rows
    Statement upsert_dead_letter;
    Statement unresolved_dead_letters;
    Statement resolve_dead_letter;
    // Rows a page inserted, per table: one statement per page instead of a trigger per row.
    Statement add_record_count;
    Statement upsert_cursor;
};

// One apply_page call: the page's time, its counters and the dead letters it may resolve.
class PageWriter {
  public:
    PageWriter(PageStatements& st, const StreamKey& key, std::int64_t run_id, std::string now,
               std::optional<int> fail_after_rows)
        : st_(st), key_(key), run_id_(run_id), now_(std::move(now)), tally_(fail_after_rows) {
        load_unresolved_dead_letters();
    }

    ApplyStats& stats() { return tally_.stats; }

    // Before the cursor: record_counts grows by the rows this page inserted (deletions are
    // still counted by triggers; they are rare and may come from retention or by hand).
    void flush_counts() {
        for (const auto& [table, rows] : inserted_rows_) {
            if (rows == 0) continue;
            Use q(st_.add_record_count);
            q->bind(1, key_.account);
            q->bind(2, std::string(table));
            q->bind(3, rows);
            q->exec();
        }
        inserted_rows_.clear();
    }

    // Before the cursor: the changes commit with the records they describe.
    void flush_changes() {
        std::size_t i = 0;
        for (; i + kChangeBatch <= pending_changes_.size(); i += kChangeBatch) {
            Use q(st_.insert_changes);
            q->bind(1, key_.account);
            bind_run(*q, 2);
            q->bind(3, now_);
            for (int k = 0; k < kChangeBatch; ++k) {
                const PendingChange& c = pending_changes_[i + static_cast<std::size_t>(k)];
                q->bindNoCopy(4 + 3 * k, c.entity);
                q->bindNoCopy(5 + 3 * k, c.external_id);
                q->bindNoCopy(6 + 3 * k, c.op);
            }
            q->exec();
        }
        for (; i < pending_changes_.size(); ++i) {
            const PendingChange& c = pending_changes_[i];
            Use q(st_.insert_change);
            q->bind(1, key_.account);
            q->bindNoCopy(2, c.entity);
            q->bindNoCopy(3, c.external_id);
            q->bindNoCopy(4, c.op);
            bind_run(*q, 5);
            q->bind(6, now_);
            q->exec();
        }
        pending_changes_.clear();
    }

    void write(const Product& p) {
        tally_.before_row();
        const std::string hash = store::record_hash(p);
        // After an unchanged row the next is likely unchanged too (a re-read): one statement
        // then settles it; otherwise the general upsert's lookup goes first.
        if (expect_unchanged_ && touch_if_unchanged(p.external_id, p.scope, hash)) {
            after_record("product", p.external_id, Outcome::unchanged);
            return;
        }
        const Outcome outcome = upsert(
            st_.products, hash, [&](Params& k) { k.text(p.external_id); },
            [&](Params& f) {
                f.text_or_null(p.parent_external_id)
                    .text_or_null(p.sku)
                    .text_or_null(p.barcode)
                    .text_or_null(p.title)
                    .text_or_null(p.brand)
                    .text_or_null(p.category_external_id)
                    .decimal(p.price)
                    .text_or_null(p.currency)
                    .integer(p.stock)
                    .copy(std::string(to_string(p.status)))
                    .time(p.source_modified_at)
                    .text(p.raw_json)
                    .text(hash)
                    .text_or_null(p.platform_status)
                    .text(p.scope);
            },
            p.scope.empty() ? &st_.see_product : nullptr);
        expect_unchanged_ = outcome == Outcome::unchanged;
        if ((outcome == Outcome::updated || (outcome == Outcome::inserted && !p.sku.empty())) &&
            account_has_stock()) {
            Use q(st_.relink_stock);
            q->bind(1, key_.account);
            bind_text_or_null(*q, 2, p.sku);
            q->bind(3, p.external_id);
            q->exec();
        }
        after_record("product", p.external_id, outcome);
    }

    bool touch_if_unchanged(const std::string& external_id, const std::string& scope,
                            const std::string& hash) {
        Use q(scope.empty() ? st_.see_unchanged_product : st_.touch_unchanged_product);
        q->bind(1, key_.account);
        q->bind(2, external_id);
        q->bind(3, now_);
        q->bind(4, hash);
        return q->exec() == 1;
    }

    // Relinking stock to products is a no-op for an account without stock rows (most shops):
    // asked once per page, and again after the page writes stock.
    bool account_has_stock() {
        if (!account_has_stock_) {
            Use q(st_.account_has_stock);
            q->bind(1, key_.account);
            account_has_stock_ = q->executeStep();
        }
        return *account_has_stock_;
    }

    void write(const Category& c) {
        tally_.before_row();
        const std::string hash = store::record_hash(c);
        const Outcome outcome = upsert(
            st_.categories, hash, [&](Params& k) { k.text(c.external_id); },
            [&](Params& f) {
                f.text_or_null(c.parent_external_id)
                    .text_or_null(c.code)
                    .text_or_null(c.name)
                    .text_or_null(c.status)
                    .time(c.source_modified_at)
                    .text(c.raw_json)
                    .text(hash);
            });
        after_record("category", c.external_id, outcome);
    }

    void write(const StockLevel& l) {
        tally_.before_row();
        account_has_stock_.reset();
        const std::string hash = store::record_hash(l);
        const Outcome outcome = upsert(
            st_.stock_levels, hash, [&](Params& k) { k.text(l.external_id).text(l.warehouse); },
            [&](Params& f) {
                f.text_or_null(l.sku)
                    .copy(l.quantity.text())
                    .integer(static_cast<std::int64_t>(l.change_count))
                    .time(l.source_modified_at)
                    .text(l.raw_json)
                    .text(hash);
            });
        after_record("stock_level", l.external_id, outcome);
    }

    void write(const Order& o) {
        tally_.before_row();
        const std::string hash = store::record_hash(o);
        const Outcome outcome = upsert(
            st_.orders, hash, [&](Params& k) { k.text(o.external_id); },
            [&](Params& f) {
                f.copy(std::string(to_string(o.status)))
                    .text_or_null(o.platform_status)
                    .text_or_null(o.currency)
                    .decimal(o.total_amount)
                    .time(o.created_at)
                    .time(o.source_modified_at)
                    .text(o.raw_json)
                    .text(hash)
                    .decimal(o.subtotal_amount)
                    .decimal(o.shipping_cost)
                    .text_or_null(o.pack_status)
                    .text_or_null(o.shipping_way)
                    .text_or_null(o.tracking_number)
                    .time(o.paid_at)
                    .time(o.shipped_at)
                    .text_or_null(o.site_number)
                    .text_or_null(o.delivery_address_json);
            });
        if (outcome != Outcome::unchanged) {
            replace_order_lines(o);
        }
        after_record("order", o.external_id, outcome);
    }

    // Replaces the image set of one product with `set` (files already in `folder`); adds to
    // `stale` the files its old rows named that the new set does not.
    void write_image_set(const std::string& product, const std::vector<const Image*>& set,
                         store::ImageFolder& folder, std::vector<std::string>& stale) {
        std::map<std::int64_t, std::string> old_rows;
        {
            Use q(st_.image_rows_of);
            q->bind(1, key_.account);
            q->bind(2, product);
            while (q->executeStep()) {
                old_rows[q->getColumn(0).getInt64()] = q->getColumn(1).getString();
            }
        }
        std::set<std::string> kept_files;
        std::set<std::int64_t> kept_positions;
        for (const Image* i : set) {
            tally_.before_row();
            const std::string file = folder.path_of(i->sha256).string();
            kept_files.insert(file);
            const std::string hash = store::record_hash(*i);
            const Outcome outcome = upsert(
                st_.images, hash,
                [&](Params& k) { k.text(product).integer(static_cast<std::int64_t>(i->position)); },
                [&](Params& f) {
                    f.text(file)
                        .text(i->sha256)
                        .integer(static_cast<std::int64_t>(i->data.size()))
                        .time(i->source_modified_at)
                        .text(hash);
                });
            kept_positions.insert(i->position);
            // Images have no key of their own: the feed names their product.
            tally_.count(outcome);
            if (outcome != Outcome::unchanged) {
                record_change("image", product, op_of(outcome));
            }
        }
        for (const auto& [position, file] : old_rows) {
            if (kept_positions.contains(position)) continue;
            Use q(st_.delete_image_row);
            q->bind(1, key_.account);
            q->bind(2, product);
            q->bind(3, position);
            q->exec();
            ++tally_.stats.deleted;
            record_change("image", product, "delete");
        }
        resolve_dead_letters_of(product);
        for (const auto& [position, file] : old_rows) {
            if (!kept_files.contains(file)) stale.push_back(file);
        }
    }

    void write(const Country& c) {
        tally_.before_row();
        const std::string hash = store::record_hash(c);
        tally_.count(upsert(
            st_.countries, hash, [&](Params& k) { k.text(c.external_id); },
            [&](Params& f) {
                f.text_or_null(c.code)
                    .text_or_null(c.name)
                    .integer(std::int64_t{c.ship_to_state ? 1 : 0})
                    .copy(c.states_json.empty() ? std::string("[]") : c.states_json)
                    .text(c.raw_json)
                    .text(hash);
            }));
    }

    void write(const LedgerEntry& e) {
        tally_.before_row();
        const std::string created = format_utc_iso(e.created_at);
        const auto bind = [&](Statement& q) {
            q.bind(1, key_.account);
            q.bind(2, created);
            q.bind(3, e.tx_type);
            q.bind(4, e.reference);
            q.bind(5, e.amount.text());
            q.bind(6, e.balance.text());
            q.bind(7, e.occurrence);
            q.bindNoCopy(8, e.raw_json);
            q.bind(9, now_);
        };
        Use insert(st_.insert_bill);
        bind(*insert);
        if (insert->exec() == 1) {
            ++inserted_rows_["ledger"];
            tally_.count(Outcome::inserted);
            return;
        }
        Use touch(st_.touch_bill);  // seen before: the same bill, read again
        bind(*touch);
        touch->exec();
        tally_.count(Outcome::unchanged);
    }

    void write(const AccountBalance& b) {
        tally_.before_row();
        Use q(st_.upsert_balance);
        q->bind(1, key_.account);
        q->bind(2, b.balance.text());
        bind_text_or_null(*q, 3, b.currency);
        q->bind(4, format_utc_iso(b.observed_at));
        q->exec();
    }

    void write_tombstone(const std::string& product_external_id) {
        tally_.before_row();
        std::optional<std::string> new_hash;
        {
            Use q(st_.product_status);
            q->bind(1, key_.account);
            q->bind(2, product_external_id);
            if (q->executeStep() && q->getColumn(0).getString() != "deleted") {
                new_hash = store::tombstone_hash(q->getColumn(1).getString());
            }
        }
        ++tally_.rows_written;
        if (!new_hash) {
            return;  // unknown, or deleted already: nothing changes, no change row
        }
        Use q(st_.mark_product_deleted);
        q->bind(1, key_.account);
        q->bind(2, product_external_id);
        q->bind(3, *new_hash);
        q->exec();
        ++tally_.stats.deleted;
        record_change("product", product_external_id, "delete");
    }

    // A product listed again without its details: unchanged, it only gets last_seen_at. Unknown
    // or deleted ids change nothing (the adapter fetches those instead of touching them).
    void write_seen(const std::string& product_external_id) {
        tally_.before_row();
        Use q(st_.touch_seen_product);
        q->bind(1, key_.account);
        q->bind(2, product_external_id);
        q->bind(3, now_);
        ++tally_.rows_written;
        if (q->exec() > 0) ++tally_.stats.unchanged;
    }

    void write(const DeadLetter& d) {
        tally_.before_row();
        // Letters without a key would all collapse into one row: key them by their payload.
        const std::string record_key =
            d.record_key.empty() ? "payload#" + content_hash(d.payload) : d.record_key;
        Use q(st_.upsert_dead_letter);
        q->bind(1, key_.account);
        q->bind(2, key_.stream);
        q->bind(3, record_key);
        q->bindNoCopy(4, d.payload);
        // Error text quotes platforms, which may echo what they were sent: credentials and
        // signatures are masked before it is stored, like every text that leaves the process.
        q->bind(5, log::redact(d.error));
        q->bind(6, now_);
        q->exec();
        ++tally_.rows_written;
        ++tally_.stats.dead_lettered;
    }

    void write_cursor(const nlohmann::json& cursor) {
        tally_.before_row();
        Use q(st_.upsert_cursor);
        q->bind(1, key_.account);
        q->bind(2, key_.stream);
        q->bind(3, cursor.dump());
        q->bind(4, now_);
        q->exec();
    }

  private:
    // bind_key(Params&) binds the key columns, bind_fields(Params&) the fields, in the order of
    // rs's EntityTable.
    template <class BindKey, class BindFields>
    Outcome upsert(RecordStatements& rs, const std::string& hash, BindKey bind_key,
                   BindFields bind_fields, Statement* touch = nullptr) {
        bool stored = false;
        bool same = false;
        {
            Use q(rs.select_hash);
            q->bind(1, key_.account);
            Params key(*q);
            bind_key(key);
            if (q->executeStep()) {
                stored = true;
                // Compared where SQLite holds it (text first, then its size, as SQLite asks).
                const SQLite::Column stored_hash = q->getColumn(0);
                const std::string_view text(stored_hash.getText());
                same =
                    text.size() == static_cast<std::size_t>(stored_hash.getBytes()) && text == hash;
            }
        }
        if (same) {
            Use q(touch ? *touch : rs.touch);
            q->bind(1, key_.account);
            Params key(*q);
            bind_key(key);
            q->bind(rs.now_param, now_);
            q->exec();
            return Outcome::unchanged;
        }
        Use q(stored ? rs.update : rs.insert);
        q->bind(1, key_.account);
        Params params(*q);
        bind_key(params);
        bind_fields(params);
        // A writer binding other columns than its descriptor names is a bug, never data.
        if (params.next() != rs.now_param) {
            throw std::logic_error(std::string("the page writer bound ") +
                                   std::to_string(params.next() - 1) + " parameters of table " +
                                   rs.entity.table + ", its descriptor has " +
                                   std::to_string(rs.now_param - 1) + " before the page time");
        }
        q->bind(rs.now_param, now_);
        q->exec();
        if (stored) return Outcome::updated;
        ++inserted_rows_[rs.entity.table];
        return Outcome::inserted;
    }

    void replace_order_lines(const Order& o) {
        {
            Use q(st_.delete_order_lines);
            q->bind(1, key_.account);
            q->bind(2, o.external_id);
            q->exec();
        }
        std::int64_t line_number = 0;
        for (const OrderLine& line : o.lines) {
            Use q(st_.insert_order_line);
            q->bind(1, key_.account);
            q->bind(2, o.external_id);
            q->bind(3, ++line_number);
            bind_text_or_null(*q, 4, line.line_id);
            bind_text_or_null(*q, 5, line.sku);
            bind_text_or_null(*q, 6, line.title);
            q->bind(7, line.quantity.text());
            bind_decimal(*q, 8, line.unit_price);
            bind_decimal(*q, 9, line.amount);
            q->exec();
        }
    }

    void after_record(const char* entity, const std::string& external_id, Outcome outcome) {
        tally_.count(outcome);
        if (outcome != Outcome::unchanged) {
            record_change(entity, external_id, op_of(outcome));
        }
        resolve_dead_letters_of(external_id);
    }

    // The page's change rows are written together by flush_changes, in the order recorded.
    void record_change(const char* entity, const std::string& external_id, const char* op) {
        pending_changes_.push_back({entity, external_id, op});
    }

    void bind_run(Statement& q, int index) const {
        if (run_id_ > 0) {
            q.bind(index, run_id_);
        } else {
            q.bind(index);  // applied outside a recorded run (tools, tests)
        }
    }

    // Unresolved letters of this stream by the id they name: the whole key and, for a
    // "field=value" key, the value. Usually empty, so the per-record lookup costs nothing.
    void load_unresolved_dead_letters() {
        Use q(st_.unresolved_dead_letters);
        q->bind(1, key_.account);
        q->bind(2, key_.stream);
        while (q->executeStep()) {
            const std::int64_t id = q->getColumn(0).getInt64();
            const std::string record_key = q->getColumn(1).getString();
            unresolved_[record_key].push_back(id);
            if (const auto eq = record_key.find('='); eq != std::string::npos) {
                unresolved_[record_key.substr(eq + 1)].push_back(id);
            }
        }
    }

    void resolve_dead_letters_of(const std::string& external_id) {
        if (unresolved_.empty()) {
            return;
        }
        auto it = unresolved_.find(external_id);
        if (it == unresolved_.end()) {
            return;
        }
        for (const std::int64_t id : it->second) {
            Use q(st_.resolve_dead_letter);
            q->bind(1, id);
            q->bind(2, now_);
            q->exec();
        }
        unresolved_.erase(it);
    }

    PageStatements& st_;
    const StreamKey& key_;
    std::int64_t run_id_;
    std::string now_;
    store::PageTally tally_;
    struct PendingChange {
        const char* entity;
        std::string external_id;
        const char* op;
    };
    std::vector<PendingChange> pending_changes_;
    std::map<std::string_view, std::int64_t> inserted_rows_;  // by record_counts.tbl
    bool expect_unchanged_ = false;
    std::optional<bool> account_has_stock_;
    std::unordered_map<std::string, std::vector<std::int64_t>> unresolved_;
};

}  // namespace csync::store::sqlite
