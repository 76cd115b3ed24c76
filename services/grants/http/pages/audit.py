"""The auditors' page, `/audit`: the ledger a page at a time (oldest first, `after` the last entry
shown), the balances as they stood at the end of a chosen day, and the ledger's export and check.
Reads only; finance officers may read it too (the API lets both roles read the ledger)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.grants.http.deps import Context
from services.grants.http.programmes import programme_views
from services.grants.store import ledger_reads
from shared.http.i18n import N_, gettext
from shared.http.sessions import page_user
from shared.identity.model import Role, User
from shared.money import Money

from .render import PAGES, render, whole_ledger

router = APIRouter(include_in_schema=False)
Auditor = Annotated[User, Depends(page_user(Role.AUDITOR, Role.FINANCE))]
PAGE_SIZE = 50
MAX_SEQ = 2**63 - 1
NOT_A_DATE = N_("Enter a date like 2026-03-31")


def _after(text: str | None) -> int:
    return int(text) if text and text.isdigit() and int(text) < MAX_SEQ else 0


def _day(text: str) -> date:
    return date.fromisoformat(text)


@router.get("/audit")
async def show(request: Request, context: Context, auditor: Auditor) -> Response:
    params = request.query_params
    after = _after(params.get("after"))
    as_of_text = (params.get("as_of") or "").strip()
    errors: dict[str, list[str]] = {}
    before: datetime | None = None
    as_of: date | None = None
    if as_of_text:
        try:
            as_of = _day(as_of_text)
            before = datetime.combine(as_of + timedelta(days=1), time(), UTC) if as_of < date.max else None
        except ValueError:
            errors["as_of"] = [gettext(PAGES.lang(request), NOT_A_DATE)]
    entries = await ledger_reads.entries(
        context.pool, programmes=auditor.programme_scope(), after_seq=after, limit=PAGE_SIZE + 1
    )
    visible = [p for p in context.policies.programmes if auditor.may_see_programme(p.id)]
    page = {
        "entries": [(e, Money(amount=e.amount, currency=e.currency)) for e in entries[:PAGE_SIZE]],
        "next_after": entries[PAGE_SIZE - 1].seq if len(entries) > PAGE_SIZE else None,
        "after": after,
        "programmes": await programme_views(context, visible, before),
        "as_of": as_of,
        "as_of_text": as_of_text,
        "errors": errors,
        "whole_ledger": whole_ledger(context, auditor),
    }
    return render(request, "audit.html", page, 422 if errors else 200)
