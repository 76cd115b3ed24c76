-- The commit-time check that no programme's available budget went below zero (0003's
-- ledger_check_transaction) sums every entry of the available account a transaction touched: one
-- per grant committed or released, so it grows with the programme's caseload. From the table it
-- visited each entry's heap row (at 16,000 grants in one programme: 15,000 rows, ~55-120 ms per
-- commitment); from this index alone (an index-only scan: the ledger is append-only, so the
-- visibility map is nearly all set) about three times less. Still linear in the programme's
-- commitments: a running balance per account would make it constant (issue 16, left).
CREATE INDEX ledger_entries_available ON ledger_entries (account, currency) INCLUDE (direction, amount)
    WHERE account_kind = 'available';
