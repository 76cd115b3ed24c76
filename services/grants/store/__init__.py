"""The grants service's SQL, one module per aggregate, each returning typed objects: programmes
(the budget lock), grants and their installments, the ledger (appends, and what auditors read).

Lock order, kept by every use case so no two of them deadlock: programme row → grant row →
installment rows → the ledger chain head (taken by `ledger.append_posting`).
"""

from shared.db_roles import APPEND_ONLY, TablePrivileges

KEEP_ROWS = frozenset({"SELECT", "INSERT", "UPDATE"})

# What the grants runtime role may do: the ledger and the access log (shared/sql_access_log) are
# append-only (the triggers say so too, and the role cannot disable them: it owns nothing); grants,
# installments and programmes change state (erasure drops an installment's free text) but are never
# deleted.
PRIVILEGES = TablePrivileges(
    {
        "access_log": APPEND_ONLY,
        # what cases achieved (monitoring visits, completed referrals): codes and scores, added once
        "case_outcomes": APPEND_ONLY,
        "ledger_entries": APPEND_ONLY,
        "ledger_transactions": APPEND_ONLY,
        "ledger_chain_head": frozenset({"SELECT", "UPDATE"}),
        "ledger_checkpoints": APPEND_ONLY,
        # the signer's bookkeeping row: locked FOR UPDATE so replicas sign one after another
        "ledger_checkpoint_head": frozenset({"SELECT", "UPDATE"}),
        "grants": KEEP_ROWS,
        "installments": KEEP_ROWS,
        "programmes": KEEP_ROWS,
    }
)
