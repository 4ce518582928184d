-- Lease-sharded replicas. account_leases (0001) says who owns each account; these tables say
-- which replicas are alive (to compute each one's fair share) and keep the history of lease
-- changes (who held which account with which fencing token, and when).

-- One row per replica process, renewed with its leases. A replica whose expires_at has passed
-- is dead: its leases have expired too, and the others take its share.
CREATE TABLE replicas (
    id           text PRIMARY KEY,
    host         text NOT NULL,
    pid          bigint NOT NULL,
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX replicas_expires_at ON replicas (expires_at);

-- Every acquisition and release, in commit order. `token` is the fencing token the acquisition
-- set; a lease that expired without a release has no 'released' row.
CREATE TABLE lease_events (
    id         bigserial PRIMARY KEY,
    account    text NOT NULL,
    owner      text NOT NULL,
    token      bigint NOT NULL,
    event      text NOT NULL CHECK (event IN ('acquired', 'released')),
    at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX lease_events_account ON lease_events (account, id);
