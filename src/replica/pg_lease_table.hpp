#pragma once
// The lease table on PostgreSQL (account_leases, replicas, lease_events), through its own libpqxx
// connection. Every comparison with "now" uses the server's clock, so replicas with skewed clocks
// still agree on who holds what. Calls block: run them on the lease thread (a DbExecutor).
// Thread affinity: one thread at a time.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "csync/error.hpp"
#include "replica/lease_plan.hpp"

namespace csync::replica {

struct ReplicaIdentity {
    std::string id;
    std::string host;
    long pid = 0;
};

struct Renewal {
    std::vector<HeldLease> held;  // every lease this replica holds, renewed
    std::size_t live_replicas = 1;
    std::vector<LeaseRow> all;  // every configured account's lease, whoever holds it
};

class PgLeaseTable {
  public:
    // Connects; the schema comes from the store's migrations (migrations/postgres).
    static Result<std::unique_ptr<PgLeaseTable>> open(const std::string& dsn,
                                                      ReplicaIdentity identity,
                                                      std::chrono::milliseconds lease);
    ~PgLeaseTable();
    PgLeaseTable(const PgLeaseTable&) = delete;
    PgLeaseTable& operator=(const PgLeaseTable&) = delete;

    // One transaction: makes sure every configured account has a lease row, heartbeats this
    // replica, extends every unexpired lease it holds, and counts the live replicas.
    Result<Renewal> renew(const std::vector<std::string>& accounts);
    // Takes up to `count` free or expired leases among `accounts` (FOR UPDATE SKIP LOCKED: two
    // replicas never wait for, nor take, the same row), each with a new fencing token.
    Result<std::vector<HeldLease>> acquire(const std::vector<std::string>& accounts,
                                           std::size_t count);
    // Gives a lease back, if it is still this replica's with this token.
    Status release(const std::string& account, std::int64_t token);
    // Clean shutdown: every lease back, the replica row gone (the others rebalance at once).
    Status leave();

    const std::string& replica_id() const;

    // Every lease row, for `status` (a short connection of its own).
    static Result<std::vector<LeaseRow>> read_leases(const std::string& dsn);

  private:
    struct Impl;
    explicit PgLeaseTable(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace csync::replica
