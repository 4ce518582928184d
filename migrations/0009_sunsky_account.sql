-- commerce-syncd schema: the merchant's account on the platform (balance and its history) and
-- the countries it ships to (Sunsky order!getBalance.do, order!getBillList.do,
-- order!getCountries.do). Conventions: see 0001_initial.sql.

-- The latest balance read, one row per account.
CREATE TABLE account_balances (
    account     TEXT NOT NULL PRIMARY KEY REFERENCES accounts (name),
    balance     TEXT NOT NULL,                 -- exact decimal text
    currency    TEXT,
    observed_at TEXT NOT NULL                  -- when it was read (UTC)
) STRICT;

-- One row per bill (a movement of the balance). Bills have no id of their own: prepay bills carry
-- no reference and one order yields several bills with the same reference, so a bill is keyed by
-- its content plus `occurrence`, the how-many-th bill of identical content on its day (from 1).
CREATE TABLE ledger (
    account       TEXT NOT NULL REFERENCES accounts (name),
    created_at    TEXT NOT NULL,               -- UTC
    tx_type       TEXT NOT NULL,               -- prepay | createOrder | payForOrder | cancelOrder | ...
    reference     TEXT NOT NULL DEFAULT '',    -- the order number, '' when none
    amount        TEXT NOT NULL,               -- exact decimal text: the change of the balance
    balance       TEXT NOT NULL,               -- exact decimal text: the balance after it
    occurrence    INTEGER NOT NULL DEFAULT 1,
    raw_json      TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    PRIMARY KEY (account, created_at, tx_type, reference, amount, balance, occurrence)
) STRICT;

CREATE INDEX ledger_by_reference ON ledger (account, reference);

-- One row per country the platform ships to, with its states or provinces as JSON.
CREATE TABLE countries (
    account       TEXT NOT NULL REFERENCES accounts (name),
    external_id   TEXT NOT NULL,
    code          TEXT,                        -- ISO 3166
    name          TEXT,
    ship_to_state INTEGER NOT NULL DEFAULT 0,  -- 1: shipping is priced per state
    states        TEXT NOT NULL DEFAULT '[]',  -- JSON array of {code, name}
    raw_json      TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    PRIMARY KEY (account, external_id)
) STRICT;
