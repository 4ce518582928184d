#include "replica/pg_lease_table.hpp"

#include <pqxx/pqxx>

namespace csync::replica {
namespace {

// A PostgreSQL text[] literal: the values quoted, so any account name round-trips.
std::string text_array(const std::vector<std::string>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) out += ',';
        out += '"';
        for (char c : values[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    out += '}';
    return out;
}

std::chrono::system_clock::time_point from_epoch_ms(std::int64_t ms) {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

// Rows of (account, token, acquired_at ms, expires_at ms).
std::vector<HeldLease> held_leases(const pqxx::result& rows) {
    std::vector<HeldLease> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
        HeldLease h;
        h.account = row[0].as<std::string>();
        h.token = row[1].as<std::int64_t>();
        h.acquired_at = from_epoch_ms(row[2].is_null() ? 0 : row[2].as<std::int64_t>());
        h.expires_at = from_epoch_ms(row[3].as<std::int64_t>());
        out.push_back(std::move(h));
    }
    return out;
}

std::vector<LeaseRow> lease_rows(const pqxx::result& rows) {
    std::vector<LeaseRow> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
        LeaseRow r;
        r.account = row[0].as<std::string>();
        if (!row[1].is_null()) r.owner = row[1].as<std::string>();
        r.token = row[2].as<std::int64_t>();
        if (!row[3].is_null()) r.expires_at = from_epoch_ms(row[3].as<std::int64_t>());
        out.push_back(std::move(r));
    }
    return out;
}

constexpr const char* kLeaseRowQuery =
    "SELECT account, CASE WHEN expires_at > now() THEN owner END, token, "
    "(extract(epoch from expires_at) * 1000)::bigint FROM account_leases";

constexpr const char* kLeaseColumns =
    "account, token, (extract(epoch from acquired_at) * 1000)::bigint, "
    "(extract(epoch from expires_at) * 1000)::bigint";

}  // namespace

struct PgLeaseTable::Impl {
    std::string dsn;
    ReplicaIdentity identity;
    std::chrono::milliseconds lease;
    std::unique_ptr<pqxx::connection> conn;

    // The connection, reopened after a failure (a restarted server, a dropped socket).
    pqxx::connection& connection() {
        if (!conn || !conn->is_open()) conn = std::make_unique<pqxx::connection>(dsn);
        return *conn;
    }

    // Runs fn in a transaction; a database failure becomes a transient Error naming the table.
    template <class F>
    auto in_transaction(const char* what, F fn) -> Result<std::invoke_result_t<F, pqxx::work&>> {
        try {
            pqxx::work tx(connection());
            auto out = fn(tx);
            tx.commit();
            return out;
        } catch (const pqxx::broken_connection& e) {
            conn.reset();
            return Error::transient(std::string("lease table: ") + what +
                                    ": connection to PostgreSQL lost: " + e.what());
        } catch (const std::exception& e) {
            // A failed statement may leave the connection unusable; start afresh next time.
            conn.reset();
            return Error::transient(std::string("lease table: ") + what + ": " + e.what());
        }
    }
};

PgLeaseTable::PgLeaseTable(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PgLeaseTable::~PgLeaseTable() = default;

const std::string& PgLeaseTable::replica_id() const { return impl_->identity.id; }

Result<std::unique_ptr<PgLeaseTable>> PgLeaseTable::open(const std::string& dsn,
                                                         ReplicaIdentity identity,
                                                         std::chrono::milliseconds lease) {
    auto impl = std::make_unique<Impl>();
    impl->dsn = dsn;
    impl->identity = std::move(identity);
    impl->lease = lease;
    try {
        impl->connection();
    } catch (const std::exception& e) {
        // libpq's message names the host and the reason, never the password.
        return Error::storage(std::string("replicas: cannot connect to PostgreSQL: ") + e.what());
    }
    return std::unique_ptr<PgLeaseTable>(new PgLeaseTable(std::move(impl)));
}

Result<Renewal> PgLeaseTable::renew(const std::vector<std::string>& accounts) {
    Impl& d = *impl_;
    return d.in_transaction("renew", [&](pqxx::work& tx) {
        const std::string names = text_array(accounts);
        const auto lease_ms = static_cast<std::int64_t>(d.lease.count());
        tx.exec_params(
            "INSERT INTO account_leases (account) SELECT unnest($1::text[]) "
            "ON CONFLICT (account) DO NOTHING",
            names);
        tx.exec_params(
            "INSERT INTO replicas (id, host, pid, started_at, heartbeat_at, expires_at) "
            "VALUES ($1, $2, $3, now(), now(), now() + $4 * interval '1 millisecond') "
            "ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), expires_at = EXCLUDED.expires_at",
            d.identity.id, d.identity.host, static_cast<std::int64_t>(d.identity.pid), lease_ms);
        // Accounts no longer configured are given back rather than left to expire.
        tx.exec_params(
            "WITH r AS (UPDATE account_leases SET owner = NULL, expires_at = now() "
            "  WHERE owner = $1 AND expires_at > now() AND NOT (account = ANY($2::text[])) "
            "  RETURNING account, token) "
            "INSERT INTO lease_events (account, owner, token, event) "
            "SELECT account, $1, token, 'released' FROM r",
            d.identity.id, names);
        Renewal out;
        out.held = held_leases(tx.exec_params(
            std::string("UPDATE account_leases SET expires_at = now() + $2 * interval "
                        "'1 millisecond', heartbeat_at = now() "
                        "WHERE owner = $1 AND expires_at > now() AND account = ANY($3::text[]) "
                        "RETURNING ") +
                kLeaseColumns,
            d.identity.id, lease_ms, names));
        out.live_replicas = static_cast<std::size_t>(
            tx.exec("SELECT count(*) FROM replicas WHERE expires_at > now()")[0][0]
                .as<std::int64_t>());
        out.all = lease_rows(tx.exec_params(
            std::string(kLeaseRowQuery) + " WHERE account = ANY($1::text[]) ORDER BY account",
            names));
        // Rows of replicas dead for a day only clutter `status`.
        tx.exec("DELETE FROM replicas WHERE expires_at < now() - interval '1 day'");
        return out;
    });
}

Result<std::vector<HeldLease>> PgLeaseTable::acquire(const std::vector<std::string>& accounts,
                                                     std::size_t count) {
    Impl& d = *impl_;
    if (count == 0) return std::vector<HeldLease>{};
    return d.in_transaction("acquire", [&](pqxx::work& tx) {
        return held_leases(tx.exec_params(
            std::string("WITH picked AS ("
                        "  SELECT account FROM account_leases"
                        "  WHERE account = ANY($1::text[])"
                        "    AND (owner IS NULL OR expires_at IS NULL OR expires_at <= now())"
                        "  ORDER BY account FOR UPDATE SKIP LOCKED LIMIT $2), "
                        "taken AS ("
                        "  UPDATE account_leases l SET owner = $3, token = l.token + 1,"
                        "    acquired_at = now(), heartbeat_at = now(),"
                        "    expires_at = now() + $4 * interval '1 millisecond'"
                        "  FROM picked WHERE l.account = picked.account"
                        "  RETURNING l.account, l.token, l.acquired_at, l.expires_at), "
                        "logged AS (INSERT INTO lease_events (account, owner, token, event)"
                        "  SELECT account, $3, token, 'acquired' FROM taken) "
                        "SELECT ") +
                kLeaseColumns + " FROM taken",
            text_array(accounts), static_cast<std::int64_t>(count), d.identity.id,
            static_cast<std::int64_t>(d.lease.count())));
    });
}

Status PgLeaseTable::release(const std::string& account, std::int64_t token) {
    Impl& d = *impl_;
    auto done = d.in_transaction("release", [&](pqxx::work& tx) {
        tx.exec_params(
            "WITH r AS (UPDATE account_leases SET owner = NULL, expires_at = now() "
            "  WHERE account = $1 AND owner = $2 AND token = $3 RETURNING account, token) "
            "INSERT INTO lease_events (account, owner, token, event) "
            "SELECT account, $2, token, 'released' FROM r",
            account, d.identity.id, token);
        return true;
    });
    if (!done.ok()) return std::move(done).error();
    return Status{};
}

Result<std::vector<LeaseRow>> PgLeaseTable::read_leases(const std::string& dsn) {
    try {
        pqxx::connection c(dsn);
        pqxx::read_transaction tx(c);
        return lease_rows(tx.exec(std::string(kLeaseRowQuery) + " ORDER BY account"));
    } catch (const std::exception& e) {
        return Error::storage(std::string("replicas: cannot read the lease table: ") + e.what());
    }
}

Status PgLeaseTable::leave() {
    Impl& d = *impl_;
    auto done = d.in_transaction("leave", [&](pqxx::work& tx) {
        tx.exec_params(
            "WITH r AS (UPDATE account_leases SET owner = NULL, expires_at = now() "
            "  WHERE owner = $1 AND expires_at > now() RETURNING account, token) "
            "INSERT INTO lease_events (account, owner, token, event) "
            "SELECT account, $1, token, 'released' FROM r",
            d.identity.id);
        tx.exec_params("DELETE FROM replicas WHERE id = $1", d.identity.id);
        return true;
    });
    if (!done.ok()) return std::move(done).error();
    return Status{};
}

}  // namespace csync::replica
