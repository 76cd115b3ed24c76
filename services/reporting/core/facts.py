"""What the read model holds, as the store returns it: codes, ids, ages and amounts, never names or
free text. A report is computed from these alone (`core.report`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from uuid import UUID

from .errors import InvalidPeriod

UNSPECIFIED = "unspecified"  # an installment whose schedule named no assistance type
MAX_PERIOD_DAYS = 366 * 10


class Movement(StrEnum):
    """How money moves, as the grants ledger posts it."""

    COMMITTED = "committed"  # a grant opened: budget committed to it
    DISBURSED = "disbursed"  # an installment paid
    RETURNED = "returned"  # a payment failed or came back (the disbursement reversed)
    RELEASED = "released"  # unspent commitment back to the programme's budget


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included (UTC)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidPeriod(f"the period ends ({self.end}) before it starts ({self.start})")
        if (self.end - self.start).days > MAX_PERIOD_DAYS:
            raise InvalidPeriod(f"a report covers at most {MAX_PERIOD_DAYS} days")

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, datetime.min.time(), UTC)

    @property
    def before(self) -> datetime:
        """The first instant after the period (the latest one Python holds for a period to the end
        of time)."""
        if self.end == date.max:
            return datetime.max.replace(tzinfo=UTC)
        return datetime.combine(self.end + timedelta(days=1), datetime.min.time(), UTC)

    def holds_day(self, day: date) -> bool:
        return self.start <= day <= self.end

    def holds(self, moment: datetime | None) -> bool:
        return moment is not None and self.holds_day(moment.astimezone(UTC).date())


@dataclass(frozen=True)
class Member:
    age: int
    sex: str
    relationship: str


@dataclass(frozen=True)
class ReturnFacts:
    """One case: its household as last registered or assessed, and how it closed."""

    case_id: UUID
    arrival_date: date
    vulnerabilities: tuple[str, ...]
    members: tuple[Member, ...]
    closed_reason: str | None
    closed_at: datetime | None


@dataclass(frozen=True)
class ReferralFacts:
    case_id: UUID
    category: str
    issued_at: datetime | None
    accepted_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True)
class MoneyFacts:
    case_id: UUID
    assistance_type: str
    movement: Movement
    amount: int  # minor units
    currency: str
    occurred_at: datetime


@dataclass(frozen=True)
class VisitFacts:
    case_id: UUID
    scheduled_month: int | None
    visited_on: date
    scores: dict[str, float]  # dimension -> score in [0, 1]
    composite: float


@dataclass(frozen=True)
class CheckpointFacts:
    """The latest ledger checkpoint grants signed: the report's money can be tied to the verifiable
    ledger as it stood then."""

    number: int
    entry_count: int
    head_hash: str
    merkle_root: str
    signed_at: datetime
    key_id: str


@dataclass(frozen=True)
class ProgrammeFacts:
    programme_id: str
    returns: tuple[ReturnFacts, ...]
    referrals: tuple[ReferralFacts, ...]
    money: tuple[MoneyFacts, ...]
    checkpoint: CheckpointFacts | None
    visits: tuple[VisitFacts, ...] = ()
    # the programme's monitoring schedule: months after arrival a visit falls due (donor policy)
    schedule: tuple[int, ...] = ()
