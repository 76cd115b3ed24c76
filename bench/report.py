"""What a benchmark run found: rows of figures beside their baselines, printed as a table and
written as JSON (`bench/results/latest.json`, ignored by git)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).parent / "results"

Figure = float | int | str | None


@dataclass(frozen=True)
class Row:
    """One measured subject of one benchmark. `figures` keep their order in the table;
    `target` says what the row must reach and `met` whether it did (None: no target)."""

    benchmark: str
    subject: str
    figures: Mapping[str, Figure]
    target: str | None = None
    met: bool | None = None
    baseline: bool = False  # a raw baseline the other rows of the benchmark are measured against
    notes: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def table(self) -> str:
        return render_table(self.rows)

    def as_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "context": self.context,
            "results": [asdict(row) | {"figures": dict(row.figures)} for row in self.rows],
            "targets_missed": [
                f"{row.benchmark}: {row.subject} ({row.target})" for row in self.rows if row.met is False
            ],
        }

    def write_json(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_json(), indent=2, default=str) + "\n", encoding="utf-8")
        return path


def format_figure(value: Figure) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


def _verdict(row: Row) -> str:
    if row.baseline:
        return "baseline"
    if row.met is None:
        return ""
    return "met" if row.met else "MISSED"


def render_table(rows: list[Row]) -> str:
    """A plain-text table: one line per row, the benchmark named once per group."""
    header = ("benchmark", "measured", "figures", "target", "")
    lines: list[tuple[str, ...]] = [header]
    previous = None
    for row in rows:
        figures = "  ".join(f"{name} {format_figure(value)}" for name, value in row.figures.items())
        lines.append(
            (
                row.benchmark if row.benchmark != previous else "",
                row.subject,
                figures,
                row.target or "",
                _verdict(row),
            )
        )
        previous = row.benchmark
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    rule = "  ".join("-" * w for w in widths)
    out = []
    for index, line in enumerate(lines):
        out.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
        if index == 0:
            out.append(rule)
    return "\n".join(out)


def run_context(**extra: Any) -> dict[str, Any]:
    """Where and on what the run happened, so two result files can be compared honestly."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "commit": commit or None,
        **extra,
    }
