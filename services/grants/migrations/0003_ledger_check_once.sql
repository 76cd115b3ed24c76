-- The commit-time ledger check runs once per ledger transaction, not once per entry row.
-- A statement-level trigger on each ledger table queues the ids of the transactions it touched in
-- `ledger_unchecked` (ON CONFLICT DO NOTHING: one pending row per transaction); the deferred
-- constraint trigger on that row runs the full check at commit and removes the row. Entries added
-- after a check already ran (SET CONSTRAINTS ... IMMEDIATE) queue the transaction again, so every
-- entry is still covered by a check at commit. UNLOGGED: the rows never outlive their transaction.

DROP TRIGGER ledger_entries_balance ON ledger_entries;
DROP TRIGGER ledger_transactions_have_entries ON ledger_transactions;

CREATE UNLOGGED TABLE ledger_unchecked (
    transaction_id uuid PRIMARY KEY
);

CREATE FUNCTION ledger_queue_check() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_TABLE_NAME = 'ledger_entries' THEN
        INSERT INTO ledger_unchecked SELECT DISTINCT transaction_id FROM added ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO ledger_unchecked SELECT id FROM added ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ledger_entries_queue_check AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION ledger_queue_check();
CREATE TRIGGER ledger_transactions_queue_check AFTER INSERT ON ledger_transactions
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION ledger_queue_check();

-- Same checks as 0002 (entries exist, balance per currency, no available budget below zero), now
-- fired by the queued row.
CREATE OR REPLACE FUNCTION ledger_check_transaction() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    txn uuid := NEW.transaction_id;
    bad record;
BEGIN
    DELETE FROM ledger_unchecked WHERE transaction_id = txn;
    IF NOT EXISTS (SELECT 1 FROM ledger_entries WHERE transaction_id = txn) THEN
        RAISE EXCEPTION 'ledger transaction % has no entries', txn USING ERRCODE = 'check_violation';
    END IF;
    SELECT currency, sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END) AS net INTO bad
        FROM ledger_entries WHERE transaction_id = txn
        GROUP BY currency HAVING sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END) <> 0
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance in %: debits - credits = %', txn, bad.currency, bad.net
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT e.account, e.currency, sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END) AS net INTO bad
        FROM ledger_entries e
        WHERE e.account_kind = 'available'
          AND e.account IN (SELECT account FROM ledger_entries WHERE transaction_id = txn AND account_kind = 'available')
        GROUP BY e.account, e.currency HAVING sum(CASE direction WHEN 'debit' THEN amount ELSE -amount END) < 0
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % overdraws % by % % minor units', txn, bad.account, -bad.net, bad.currency
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_unchecked_check AFTER INSERT ON ledger_unchecked
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_transaction();
