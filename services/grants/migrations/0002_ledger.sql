-- The grant ledger: double-entry, append-only, hash-chained (DESIGN: grant ledger).
--   ledger_transactions  one row per posting, with its idempotency key; a correction is a
--                        reversal row that names what it reverses
--   ledger_entries       its lines, one account each, debit or credit of a positive amount,
--                        each carrying the SHA-256 of its canonical form chained to the previous
--                        entry's (computed by services/grants/chain.py)
--   ledger_chain_head    one row, locked FOR UPDATE by every append: appends are serialised, so
--                        the chain has one order and `seq` has no gaps

CREATE TABLE ledger_chain_head (
    id          integer PRIMARY KEY CHECK (id = 1),
    last_seq    bigint  NOT NULL,
    last_hash   text    NOT NULL
);
INSERT INTO ledger_chain_head VALUES (1, 0, repeat('0', 64));

CREATE TABLE ledger_transactions (
    id              uuid        PRIMARY KEY,
    kind            text        NOT NULL
        CHECK (kind IN ('funding', 'commitment', 'release', 'disbursement', 'reversal')),
    idempotency_key text        NOT NULL UNIQUE,
    fingerprint     text        NOT NULL,
    programme_id    text        NOT NULL REFERENCES programmes (id),
    grant_id        uuid,
    installment_id  uuid,
    reverses        uuid        UNIQUE REFERENCES ledger_transactions (id),
    memo            text        NOT NULL DEFAULT '',
    recorded_by     text        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    CHECK ((kind = 'reversal') = (reverses IS NOT NULL))
);

CREATE TABLE ledger_entries (
    seq             bigint      PRIMARY KEY,
    entry_id        uuid        NOT NULL UNIQUE,
    transaction_id  uuid        NOT NULL REFERENCES ledger_transactions (id),
    account         text        NOT NULL,
    account_kind    text        NOT NULL
        CHECK (account_kind IN ('funds_received', 'available', 'committed', 'disbursed')),
    programme_id    text        NOT NULL,
    grant_id        uuid,
    direction       text        NOT NULL CHECK (direction IN ('debit', 'credit')),
    amount          bigint      NOT NULL CHECK (amount > 0),
    currency        text        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    prev_hash       text        NOT NULL,
    hash            text        NOT NULL
);

CREATE INDEX ledger_entries_transaction ON ledger_entries (transaction_id);
CREATE INDEX ledger_entries_account ON ledger_entries (account, recorded_at);
CREATE INDEX ledger_entries_programme ON ledger_entries (programme_id, recorded_at);
CREATE INDEX ledger_entries_grant ON ledger_entries (grant_id) WHERE grant_id IS NOT NULL;

-- Append-only: a correction is a reversing transaction, never an UPDATE or a DELETE.
CREATE FUNCTION ledger_reject_change() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % is rejected; post a reversal instead', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ledger_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();

-- At commit: every transaction touched balances in every currency, has lines at all, and no
-- programme's available budget went below zero (the service never lets it; this is the backstop).
-- `SET search_path FROM CURRENT` pins the function to this schema, whoever's session fires it.
CREATE FUNCTION ledger_check_transaction() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    txn uuid;
    bad record;
BEGIN
    IF TG_TABLE_NAME = 'ledger_entries' THEN
        txn := NEW.transaction_id;
    ELSE
        txn := NEW.id;
    END IF;
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

CREATE CONSTRAINT TRIGGER ledger_entries_balance AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_transaction();
CREATE CONSTRAINT TRIGGER ledger_transactions_have_entries AFTER INSERT ON ledger_transactions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_transaction();
