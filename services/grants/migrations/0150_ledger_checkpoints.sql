-- Signed checkpoints, and a hash version per entry (issue 12).
--   ledger_entries.hash_version  which canonical form the entry's hash covers: 1 for the entries
--                                written before this migration (they keep their hashes), 2 for
--                                every entry written after it — every stored column of the entry
--                                and its transaction (services/grants/core/ledger/chain.py). The
--                                default stays 1 so that a pod of the previous release, writing
--                                version-1 hashes during a rollout, labels its entries truthfully.
--   ledger_checkpoints           append-only: each an Ed25519 signature, by a key the database never
--                                holds, over {number, entry count, head hash, Merkle root, time, key
--                                id}; `frontier` (the roots of the perfect subtrees of the Merkle
--                                tree at that count) lets the next checkpoint hash only newer entries
--   ledger_checkpoint_head       one row, the bookkeeping a signer locks FOR UPDATE, so replicas sign
--                                one after another; the only table here the service updates. A
--                                runtime role needs SELECT and INSERT on ledger_checkpoints, SELECT
--                                and UPDATE on ledger_checkpoint_head, nothing more.

ALTER TABLE ledger_entries
    ADD COLUMN hash_version smallint NOT NULL DEFAULT 1 CHECK (hash_version IN (1, 2));

CREATE TABLE ledger_checkpoints (
    number       bigint      PRIMARY KEY CHECK (number >= 1),
    entry_count  bigint      NOT NULL UNIQUE CHECK (entry_count >= 1),
    head_hash    text        NOT NULL,
    merkle_root  text        NOT NULL,
    signed_at    timestamptz NOT NULL,
    key_id       text        NOT NULL,
    signature    text        NOT NULL,
    frontier     text[]      NOT NULL,
    reason       text        NOT NULL CHECK (reason IN ('entries', 'interval', 'shutdown'))
);

CREATE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE OR DELETE ON ledger_checkpoints
    FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
CREATE TRIGGER ledger_checkpoints_no_truncate BEFORE TRUNCATE ON ledger_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();

CREATE TABLE ledger_checkpoint_head (
    id           integer PRIMARY KEY CHECK (id = 1),
    last_number  bigint  NOT NULL,
    entry_count  bigint  NOT NULL
);
INSERT INTO ledger_checkpoint_head VALUES (1, 0, 0);
