"""The summary as text tables: what a person reads at the end of `homeward demo`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

STATUS_COLUMNS = (
    "accepted",
    "completed",
    "declined",
    "issued",
    "escalated",
    "withdrawn",
    "unplaced",
    "needs_consent",
)


def money(minor: int, currency: str) -> str:
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), 100)
    return f"{currency} {sign}{whole:,}.{cents:02d}"


def table(headers: list[str], rows: list[list[str]], left: tuple[int, ...] = (0,)) -> str:
    """Columns `left` (text) left-aligned, the others (numbers) right-aligned."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i in left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def cases_table(summary: dict[str, Any]) -> str:
    cases = summary["cases"]
    rows = [[status, str(count)] for status, count in cases["by_status"].items()]
    rows.append(["total", str(sum(cases["by_status"].values()))])
    return table(["case status", "cases"], rows)


def referrals_table(summary: dict[str, Any]) -> str:
    referrals = summary["referrals"]
    present = [s for s in STATUS_COLUMNS if s in referrals["by_status"]]
    rows = [
        [
            line["category"],
            line["partner_id"],
            str(line["total"]),
            *(str(line["by_status"].get(s, 0) or "") for s in present),
            _seconds(line["median_seconds_to_acceptance"]),
        ]
        for line in referrals["by_category_and_partner"]
    ]
    rows.append(
        [
            "all",
            "",
            str(referrals["total"]),
            *(str(referrals["by_status"].get(s, 0)) for s in present),
            _seconds(referrals["median_seconds_to_acceptance"]),
        ]
    )
    return table(["category", "partner", "referrals", *present, "median to accept"], rows, left=(0, 1))


def grants_table(summary: dict[str, Any]) -> str:
    """One row per programme and installment status; the grant columns on its first row."""
    rows = []
    for programme, entry in summary["grants"]["by_programme"].items():
        currency = entry["currency"]
        grants = ", ".join(f"{n} {status}" for status, n in entry["grants"].items())
        first = [programme, grants, money(entry["granted"], currency)]
        for status, line in entry["installments"].items() or {"-": {"count": 0, "amount": 0}}.items():
            rows.append([*first, status, str(line["count"]), money(line["amount"], currency)])
            first = ["", "", ""]
    headers = ["programme", "grants", "granted", "installments", "count", "amount"]
    return table(headers, rows, left=(0, 1, 3))


def ledger_table(summary: dict[str, Any]) -> str:
    ledger = summary["ledger"]
    rows = [
        [
            b["programme_id"],
            b["currency"],
            money(b["budget"], b["currency"]),
            money(b["available"], b["currency"]),
            money(b["committed"], b["currency"]),
            money(b["disbursed"], b["currency"]),
        ]
        for b in ledger["balances"]
    ]
    balances = table(
        ["programme", "currency", "funds received", "available", "committed", "disbursed"], rows, (0, 1)
    )
    entries = "; ".join(
        f"{currency}: debits {money(t['debit'], currency)} = credits {money(t['credit'], currency)}"
        if t["debit"] == t["credit"]
        else f"{currency}: debits {money(t['debit'], currency)} != credits {money(t['credit'], currency)}"
        for currency, t in ledger["entries"].items()
    )
    return f"{balances}\n\nledger entries  {entries}\nledger verify   {ledger['verify']['verdict']}"


def payments_line(summary: dict[str, Any]) -> str:
    returned = summary["run"].get("payments_returned_and_repaid", 0)
    paid = sum(
        line.get("disbursed", {}).get("count", 0)
        for line in (p["installments"] for p in summary["grants"]["by_programme"].values())
    )
    return (
        f"payments        {paid} installments disbursed, each approved by one finance officer and paid by"
        f" another; {returned} bank transfer(s) came back, were reversed in the ledger and paid again"
    )


def render(summary: dict[str, Any]) -> str:
    run = summary["run"]
    head = (
        f"Homeward demo {run['run_id']}: {run['cases']} cases, seed {run['seed']}, {run['seconds']:.0f} s"
        + ("" if run["finished"] else f"  (STOPPED AT THE DEADLINE, {run['deadline_s']:.0f} s)")
    )
    parts = [
        head,
        "",
        cases_table(summary),
        "",
        referrals_table(summary),
        "",
        grants_table(summary),
        payments_line(summary),
        "",
        ledger_table(summary),
        "",
        year_report_section(summary),
    ]
    if summary["errors"]:
        parts += ["", f"{len(summary['errors'])} call(s) failed; the first: {summary['errors'][0]}"]
    return "\n".join(parts)


def _cell(value: Any, currency: str | None = None, score: bool = False) -> str:
    if value is None:
        return "<5" if not score and currency is None else "·"  # suppressed: fewer than five people
    if currency:
        return money(int(value), currency)
    return f"{value:.2f}" if score else str(value)


def year_report_section(summary: dict[str, Any]) -> str:
    """The twelve-month report's headline, as the reporting service answered it."""
    monitoring = summary.get("monitoring", {})
    visits = (
        f"monitoring      {monitoring.get('visits', 0)} visits recorded (back-dated to the schedule's"
        f" months) for {monitoring.get('cases_visited', 0)} cases; {monitoring.get('re_migrated', 0)}"
        " returnee(s) found re-migrated"
    )
    outcomes = summary["grants"].get("outcome_installments", {})
    visits += (
        "\noutcomes        "
        + (
            "; ".join(
                f"{milestone}: " + ", ".join(f"{n} {status}" for status, n in statuses.items())
                for milestone, statuses in outcomes.items()
            )
            or "no installment waits for an outcome"
        )
        + " (installments that fall due on what a visit or a partner reports)"
    )
    year = summary.get("year_report")
    if year is None:
        return visits
    if not year["caught_up"]:
        return f"{visits}\n\nreport          the reporting service did not catch up: no report"
    head = year["headline"]
    tables = head["tables"]
    sex = tables["returns_by_sex"]
    parts = [
        visits,
        "",
        f"Twelve-month report: {head['programme_id']}, {head['from']} to {head['to']} (reporting service,"
        f" read as a manager; cells under {head['threshold']} people suppressed: <5 or ·;"
        f" caught up after {year['caught_up_after_s']:.0f} s)",
        "returns         "
        + ", ".join(f"{key} {_cell(values[0])}" for key, values in sex["rows"].items())
        + " (people)",
        "",
    ]
    assistance = tables["assistance_by_category"]
    rows = [
        [key, *(_cell(v) for v in values[:3]), "-" if values[3] is None else f"{values[3]:.0f}"]
        for key, values in assistance["rows"].items()
        if key == "total" or any(values[:3])
    ]
    parts += [table(["assistance", "referred", "accepted", "completed", "median days"], rows), ""]
    cash = tables["money_by_assistance_type"]
    currency = cash["currency"]
    rows = [
        [key, _cell(values[0]), *(_cell(v, currency) for v in values[1:])]
        for key, values in cash["rows"].items()
        if key == "total" or values[0] != 0
    ]
    parts += [table(["money", "cases", "committed", "disbursed", "returned", "released"], rows), ""]
    coverage = tables["monitoring_coverage"]
    rows = [[key, *(_cell(v) for v in values)] for key, values in coverage["rows"].items()]
    parts += [table(["monitoring", "due", "done"], rows), ""]
    scores = tables["survey_scores"]
    rows = [
        [key, _cell(values[0]), *(_cell(v, score=True) for v in values[1:])]
        for key, values in scores["rows"].items()
    ]
    parts.append(
        table(["survey (quarter)", "visited", "economic", "social", "psychosocial", "composite"], rows)
    )
    files = year["files"]
    parts += [
        "",
        f"report files    {files['directory']}/: workbook {files['xlsx']}, chart page {files['page']}"
        f" with {len(files['charts'])} SVG charts ({', '.join(Path(c).name for c in files['charts'])})",
    ]
    return "\n".join(parts)
