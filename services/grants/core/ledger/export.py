"""The ledger export: one CSV row per entry, header first, in chain order — every stored column
of the entry and its transaction, and the hash. What `homeward ledger verify FILE.csv` reads; an
export made before the full-form columns existed still reads (its entries are all version 1).
Beside it, the signed checkpoints (`FILE.checkpoints.json`, or any file of them). Pure: no I/O
beyond the text a caller hands in."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any

from .chain import CHAINED_FIELDS, CSV_COLUMNS, TIME_FORMAT, ChainedEntry
from .checkpoint import Checkpoint

REQUIRED_COLUMNS = (*CHAINED_FIELDS, "hash")
_TIMES = ("recorded_at", "transaction_recorded_at")


class ExportFormatError(ValueError):
    """The CSV is not a ledger export (missing columns, a value that does not parse)."""


def write_csv(entries: Iterable[ChainedEntry], stream: IO[str], *, header: bool = True) -> None:
    # RFC 4180 line ends: a field holding either \r or \n is quoted, so any memo reads back intact
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    if header:
        writer.writeheader()
    for entry in entries:
        writer.writerow(entry.field_text())


def read_csv(stream: IO[str]) -> Iterator[ChainedEntry]:
    """Entries from an export, in file order; raises ExportFormatError naming the line."""
    reader = csv.DictReader(stream)
    present = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in present]
    if missing:
        raise ExportFormatError(f"not a ledger export: missing columns {', '.join(missing)}")
    columns = [c for c in CSV_COLUMNS if c in present]
    for row in reader:
        try:
            values: dict[str, Any] = {name: (row[name] if row[name] != "" else None) for name in columns}
            values["memo"], values["hash"] = row["memo"], row["hash"]
            for name in _TIMES:
                if values.get(name) is not None:
                    values[name] = datetime.strptime(values[name], TIME_FORMAT).replace(tzinfo=UTC)
            if values.get("hash_version") is None:
                values.pop("hash_version", None)  # an export from before versions: version 1
            yield ChainedEntry.model_validate(values)
        except (ValueError, TypeError) as error:
            raise ExportFormatError(f"line {reader.line_num}: {error}") from error


def parse_checkpoints(text: str) -> list[Checkpoint]:
    """Checkpoints from a file as an auditor may hold them: the JSON array `GET /v1/ledger/checkpoints`
    answers, or JSON lines — each a checkpoint, or an event envelope from `grants.ledger-checkpoints.v1`
    (whose `data` is one), as a console consumer prints them. Raises ExportFormatError naming the line."""
    stripped = text.strip()
    if not stripped:
        return []
    try:
        items: list[Any] = json.loads(stripped) if stripped.startswith("[") else []
    except json.JSONDecodeError as error:
        raise ExportFormatError(f"not a JSON array of checkpoints: {error}") from error
    numbered = list(enumerate(items, start=1)) if stripped.startswith("[") else []
    if not numbered:
        for number, line in enumerate(stripped.splitlines(), start=1):
            if line.strip():
                try:
                    numbered.append((number, json.loads(line)))
                except json.JSONDecodeError as error:
                    raise ExportFormatError(f"line {number}: not JSON: {error}") from error
    checkpoints = []
    for number, item in numbered:
        value = item.get("data", item) if isinstance(item, dict) else item
        try:
            checkpoints.append(Checkpoint.model_validate(value))
        except ValueError as error:
            raise ExportFormatError(f"item {number}: not a checkpoint: {error}") from error
    return checkpoints
