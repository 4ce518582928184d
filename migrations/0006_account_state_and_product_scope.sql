-- commerce-syncd schema, version 6: per-account state that platforms with rotating OAuth tokens
-- must keep across restarts, and the product columns that token platforms' passes need.
-- Conventions: see 0001_initial.sql.

-- Small key/value state per account, written by the platform's adapter (e.g. Qianmi's rotating
-- access/refresh token pair, the fingerprint of the configured refresh token it came from).
-- THE ONE TABLE THAT HOLDS SECRETS: values are tokens. The file keeps mode 0600; commerce-syncd
-- never prints, exports or logs these values.
CREATE TABLE account_state (
    account    TEXT NOT NULL REFERENCES accounts (name),
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (account, name)
) STRICT;

-- `platform_status`: the platform's own status value(s) beside the normalized `status`
-- (Qianmi: "d2c=<value>;d2p=<value>"); NULL when the platform has none.
ALTER TABLE products ADD COLUMN platform_status TEXT;
-- `scope`: the rows one sync pass owns (Qianmi 'items', 'skus:<num_iid>'); a pass that did not see one
-- of its rows confirms it gone before marking it deleted, and never names another scope's rows.
-- '' for platforms whose streams report deletions themselves.
ALTER TABLE products ADD COLUMN scope TEXT NOT NULL DEFAULT '';

CREATE INDEX products_by_scope ON products (account, scope, last_seen_at);
