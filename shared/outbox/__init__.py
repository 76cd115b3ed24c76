"""The outbox (DESIGN rule 1): events are rows written in the caller's transaction; a relay
publishes them to Kafka and only then marks them sent.

- `appending`: `append` / `append_many` in the caller's transaction, `unsent_count`;
- `relay`: `OutboxRelay`, one active per schema, batch after batch, per-key order kept;
- `publishing`: how one batch goes to the producer, and which rows the broker refused;
- `store`: the outbox table's SQL, typed rows, parked rows for operators (`homeward outbox`).
"""

from .appending import append, append_many, append_statement, append_values, unsent_count
from .relay import OutboxRelay
from .store import OutboxRow, ParkedRow

__all__ = [
    "OutboxRelay",
    "OutboxRow",
    "ParkedRow",
    "append",
    "append_many",
    "append_statement",
    "append_values",
    "unsent_count",
]
