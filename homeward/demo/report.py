"""The summary as text tables: what a person reads at the end of `homeward demo`."""

from __future__ import annotations

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
    ]
    if summary["errors"]:
        parts += ["", f"{len(summary['errors'])} call(s) failed; the first: {summary['errors'][0]}"]
    return "\n".join(parts)
