"""The ledger for auditors: entries with filters, balances at any past date, the CSV export and
the chain check."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from services.grants.core.ledger.audit import ChainVerdict
from services.grants.core.ledger.chain import ChainedEntry
from services.grants.store import ledger_reads
from services.grants.use_cases.audit import export_csv_chunks, verify_database_chain
from shared.http.i18n import N_
from shared.http.params import known_query_only
from shared.http.problems import FORBIDDEN, ProblemError
from shared.identity.model import User
from shared.money import Money

from .deps import (
    INSTANT_SCHEMA,
    MAX_BIGINT,
    AccountFilter,
    AsOf,
    Context,
    ProgrammeFilter,
    Reader,
    instant_bound,
)
from .views import ProgrammeBalance, programme_balances


def whole_ledger_reader(context: Context, reader: User) -> None:
    """The chain runs through every programme's entries: whoever reads all of it must see them all."""
    if not reader.may_see_programmes(p.id for p in context.policies.programmes):
        raise ProblemError(
            FORBIDDEN,
            N_("the whole ledger holds every programme's entries; your programmes are not all of them"),
        )


router = APIRouter(prefix="/v1/ledger", tags=["ledger"], dependencies=[Depends(known_query_only)])


@router.get("/entries")
async def list_entries(
    context: Context,
    reader: Reader,
    programme: ProgrammeFilter = None,
    grant_id: UUID | None = None,
    account: AccountFilter = None,
    from_: Annotated[
        str | None,
        Query(alias="from", description="date or date-time, inclusive", json_schema_extra=INSTANT_SCHEMA),
    ] = None,
    to: Annotated[
        str | None, Query(description="date (inclusive) or date-time", json_schema_extra=INSTANT_SCHEMA)
    ] = None,
    after_seq: Annotated[int, Query(ge=0, le=MAX_BIGINT, description="continue after this entry")] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[ChainedEntry]:
    """Entries of the reader's programmes only."""
    return await ledger_reads.entries(
        context.pool,
        programmes=reader.programme_scope(),
        programme_id=programme,
        grant_id=grant_id,
        account=account,
        since=instant_bound(from_, name="from", end_of_day=False),
        before=instant_bound(to, name="to", end_of_day=True),
        after_seq=after_seq,
        limit=limit,
    )


class AccountBalance(BaseModel):
    account: str
    kind: str
    programme_id: str
    grant_id: UUID | None
    balance: Money


class Balances(BaseModel):
    as_of: datetime | None
    programmes: list[ProgrammeBalance]
    accounts: list[AccountBalance]


@router.get("/balances")
async def balances(
    context: Context,
    reader: Reader,
    before: AsOf,
    programme: ProgrammeFilter = None,
    grant_id: UUID | None = None,
    account: AccountFilter = None,
) -> Balances:
    """Balances as they stood at `as_of` (a date means the end of that day, UTC), or now; of the
    reader's programmes only."""
    scope = reader.programme_scope()
    kinds = await ledger_reads.balances_by_kind(
        context.pool, programmes=scope, programme_id=programme, before=before
    )
    accounts = await ledger_reads.account_balances(
        context.pool,
        programmes=scope,
        programme_id=programme,
        grant_id=grant_id,
        account=account,
        before=before,
    )
    return Balances(
        as_of=before,
        programmes=[b for lines in programme_balances(kinds).values() for b in lines],
        accounts=[
            AccountBalance(
                account=a.account,
                kind=a.kind.value,
                programme_id=a.programme_id,
                grant_id=a.grant_id,
                balance=a.balance,
            )
            for a in accounts
        ],
    )


class CsvResponse(StreamingResponse):
    media_type = "text/csv"


@router.get(
    "/export.csv",
    response_class=CsvResponse,
    responses={
        200: {
            "description": "every entry, one CSV row each, header first, in chain order",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def export_csv(context: Context, reader: Reader) -> CsvResponse:
    """The whole ledger, one row per entry (every stored column of the entry and its transaction)
    with its hash chain: `homeward ledger verify FILE.csv`. Save `GET /v1/ledger/checkpoints` beside
    it as `FILE.checkpoints.json` and add `--public-key KEY` to check it against the signatures. It
    holds every programme's entries (the chain runs through all of them), so only a reader of every
    programme may take it (403 otherwise)."""
    whole_ledger_reader(context, reader)
    return CsvResponse(
        export_csv_chunks(context.pool),
        headers={"Content-Disposition": 'attachment; filename="ledger.csv"'},
    )


class VerifyResult(ChainVerdict):
    verdict: str


@router.get("/verify")
async def verify(context: Context, reader: Reader) -> VerifyResult:
    """Recompute the hash chain from the stored entries and check it against every signed
    checkpoint; name the first entry that does not match. The verdict speaks of every programme's
    entries: readers of every programme only (403)."""
    whole_ledger_reader(context, reader)
    verdict = await verify_database_chain(context.pool, context.signing.public_keys)
    return VerifyResult(**verdict.model_dump(), verdict=verdict.line())
