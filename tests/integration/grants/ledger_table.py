"""A ledger's entries as a Markdown table: what the closing note of issue 5 shows."""

from __future__ import annotations

from typing import Any


def _money(minor: int) -> str:
    return f"{minor // 100:,}.{minor % 100:02d}"


def ledger_table(entries: list[dict[str, Any]]) -> str:
    lines = [
        "| seq | transaction | kind | account | debit | credit | memo | by | hash |",
        "| ---: | --- | --- | --- | ---: | ---: | --- | --- | --- |",
    ]
    for e in entries:
        account = e["account"].replace(str(e["grant_id"]), "G") if e["grant_id"] else e["account"]
        amount = f"{e['currency']} {_money(e['amount'])}"
        debit, credit = (amount, "") if e["direction"] == "debit" else ("", amount)
        lines.append(
            f"| {e['seq']} | {e['transaction_id'][-8:]} | {e['kind']} | {account} | {debit} | {credit} "
            f"| {e['memo']} | {e['recorded_by']} | {e['hash'][:12]}… |"
        )
    return "\n".join(lines)
