"""The page's charts, drawn on the server as static SVG with matplotlib's own SVG backend (no
pyplot: no global figure state, safe in a thread pool). No script, nothing fetched from elsewhere:
text stays text (`svg.fonttype: none`) in the browser's own sans-serif. Suppressed cells are left
out of a chart, and its caption says how many."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
from matplotlib.figure import Figure

from services.reporting.core.tables import Report, Table
from shared.money import MINOR_UNITS

matplotlib.use("svg")

COLOURS = ("#1d4f91", "#2f8f5b", "#c0792b", "#8a3b8f")
STYLE: dict[str, Any] = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def table_of(report: Report, table_id: str) -> Table | None:
    return next((t for t in report.tables if t.id == table_id), None)


def bar_chart(
    title: str, labels: Sequence[str], series: Mapping[str, Sequence[int | float | None]], salt: str
) -> str:
    """Grouped horizontal bars; a None value draws nothing."""
    style: Any = {**STYLE, "svg.hashsalt": salt}
    with matplotlib.rc_context(style):
        height = 0.8 + 0.3 * len(labels) * max(1, len(series) ** 0.5)
        figure = Figure(figsize=(7.5, max(2.2, height)))
        axes = figure.add_subplot()
        width = 0.8 / max(1, len(series))
        for n, (name, values) in enumerate(series.items()):
            positions = [i + n * width for i in range(len(labels))]
            shown = [(p, v) for p, v in zip(positions, values, strict=True) if v is not None]
            axes.barh(
                [p for p, _ in shown],
                [v for _, v in shown],
                height=width * 0.9,
                color=COLOURS[n % len(COLOURS)],
                label=name,
            )
        axes.set_yticks([i + width * (len(series) - 1) / 2 for i in range(len(labels))], labels=list(labels))
        axes.invert_yaxis()
        drawn = [v for values in series.values() for v in values if v]
        axes.set_xlim(0, max(drawn) * 1.05 if drawn else 1)  # counts and money never go below 0
        axes.set_title(title, loc="left")
        if len(series) > 1:
            axes.legend(frameon=False, loc="lower right")
        figure.tight_layout()
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
        return out.getvalue()


def chart_svg(report: Report, chart: str) -> str | None:
    """The SVG of one of the page's charts (`CHARTS`), or None for a name that is none of them."""
    spec = CHARTS.get(chart)
    if spec is None:
        return None
    table_id, columns, title = spec
    table = table_of(report, table_id)
    if table is None:
        return None
    labels = [row.key.replace("_", " ") for row in table.rows]
    series = {c: [row.values[table.columns.index(c)] for row in table.rows] for c in columns}
    if not labels:  # no scheduled visit, no quarter with visits: an empty chart says so
        labels, series = ["none in this period"], {c: [None] for c in columns}
    if table.currency:
        scale = 10 ** MINOR_UNITS.get(table.currency, 2)
        series = {
            f"{c} ({table.currency})": [_major(v, scale) for v in values] for c, values in series.items()
        }
    return bar_chart(title, labels, series, salt=chart)


def _major(value: int | float | None, scale: int) -> float | None:
    return None if value is None else value / scale


# chart name → (table, columns drawn, title)
CHARTS: dict[str, tuple[str, list[str], str]] = {
    "age": ("returns_by_age_band", ["count"], "Returnees by age band (people)"),
    "sex": ("returns_by_sex", ["count"], "Returnees by sex (people)"),
    "assistance": (
        "assistance_by_category",
        ["referred", "accepted", "completed"],
        "Assistance by category (cases)",
    ),
    "money": (
        "money_by_assistance_type",
        ["committed", "disbursed", "returned", "released"],
        "Money by assistance type",
    ),
    "coverage": ("monitoring_coverage", ["due", "done"], "Monitoring visits due and done (cases)"),
    "scores": (
        "survey_scores",
        ["economic", "social", "psychosocial", "composite"],
        "Survey scores by quarter (means, 0 to 1)",
    ),
    "closures": ("closures_by_reason", ["count"], "Cases closed by reason"),
}
