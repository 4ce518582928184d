-- commerce-syncd schema, version 10: `status` counts the Sunsky account stream's ledger and the
-- countries table the way it counts every other table (record_counts, kept by triggers).
-- Conventions: see 0001_initial.sql.

INSERT INTO record_counts (account, tbl, records)
    SELECT account, 'ledger', count(*) FROM ledger GROUP BY account;
INSERT INTO record_counts (account, tbl, records)
    SELECT account, 'countries', count(*) FROM countries GROUP BY account;

CREATE TRIGGER ledger_counted_insert AFTER INSERT ON ledger BEGIN
    INSERT INTO record_counts (account, tbl, records) VALUES (NEW.account, 'ledger', 1)
    ON CONFLICT (account, tbl) DO UPDATE SET records = records + 1;
END;
CREATE TRIGGER ledger_counted_delete AFTER DELETE ON ledger BEGIN
    UPDATE record_counts SET records = records - 1 WHERE account = OLD.account AND tbl = 'ledger';
END;

CREATE TRIGGER countries_counted_insert AFTER INSERT ON countries BEGIN
    INSERT INTO record_counts (account, tbl, records) VALUES (NEW.account, 'countries', 1)
    ON CONFLICT (account, tbl) DO UPDATE SET records = records + 1;
END;
CREATE TRIGGER countries_counted_delete AFTER DELETE ON countries BEGIN
    UPDATE record_counts SET records = records - 1 WHERE account = OLD.account AND tbl = 'countries';
END;
