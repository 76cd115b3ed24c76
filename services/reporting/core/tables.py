"""A report's tables, as published: every count already checked against small cells."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from pydantic import BaseModel, Field

from .suppression import THRESHOLD, Suppression, suppress

Value = int | float | None  # None: suppressed (or, for a median, nothing to take it over)


class Row(BaseModel):
    key: str = Field(description="the row's code (a sex, an age band, a category, ...) or `total`")
    values: list[Value] = Field(description="one per column; null where the cell is suppressed")


class Table(BaseModel):
    id: str
    title: str
    unit: str = Field(description="what the counts count: people, households or cases")
    currency: str | None = Field(default=None, description="money columns: minor units of this currency")
    columns: list[str]
    rows: list[Row]
    total: Row
    suppressed: int = Field(description="how many cells (total included) are suppressed")


class Checkpoint(BaseModel):
    number: int
    entry_count: int
    head_hash: str
    merkle_root: str
    signed_at: datetime
    key_id: str


class Report(BaseModel):
    programme_id: str
    period_from: date
    period_to: date
    threshold: int = Field(description="no published count covers fewer people than this")
    suppression_rule: str
    tables: list[Table]
    ledger_checkpoint: Checkpoint | None = Field(
        description="the latest signed ledger checkpoint the read model has: the money ties to the "
        "ledger grants signed"
    )
    not_reported: list[str] = Field(description="what a donor may ask that this report cannot answer yet")


SUPPRESSION_RULE = (
    f"Counts of 1 to {THRESHOLD - 1} are suppressed; where a group has a suppressed cell, more cells"
    f" (the smallest of {THRESHOLD} or more first) are suppressed until no suppressed cell can be"
    " narrowed by subtraction from the total; a total under"
    f" {THRESHOLD} suppresses its whole group. Money and medians go with the counts they come from."
)


def count_table(
    *,
    id: str,
    title: str,
    unit: str,
    keys: Sequence[str],
    counts: Sequence[int],
    total: int,
) -> Table:
    """A one-column table of counts with its total, suppressed by the rule."""
    hidden = suppress(counts, total)
    rows = [Row(key=k, values=[None if hidden.hides(i) else counts[i]]) for i, k in enumerate(keys)]
    return Table(
        id=id,
        title=title,
        unit=unit,
        columns=["count"],
        rows=rows,
        total=Row(key="total", values=[None if hidden.total else total]),
        suppressed=_hidden_count(hidden, len(keys)),
    )


def _hidden_count(hidden: Suppression, cells: int) -> int:
    return (cells + 1) if hidden.total else len(hidden.cells)


def masked(values: Sequence[Value], hidden: Suppression, position: int) -> list[Value]:
    return [None if hidden.hides(position) else v for v in values]
