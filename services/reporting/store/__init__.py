"""Reporting's SQL: the read model's generations (`model`), the projection's writes (`projection`)
and what reports and comparisons read (`reads`). Every query names its generation.
"""

from shared.db_roles import READ_AND_CHANGE, TablePrivileges

# The read model is rebuilt from the topics, so every table of it may be read and changed (a retired
# generation's rows are deleted); the pointer to the live generation is only ever moved, never
# inserted or deleted.
PRIVILEGES = TablePrivileges(
    {
        "model_generation": frozenset({"SELECT", "UPDATE"}),
        "generations": frozenset({"SELECT", "INSERT", "UPDATE"}),
    },
    default=READ_AND_CHANGE,
)

# the tables of the read model proper, each with a `generation` column
MODEL_TABLES = (
    "applied_events",
    "cases",
    "members",
    "referrals",
    "grants",
    "installments",
    "money_movements",
    "ledger_checkpoints",
    "visits",
)
