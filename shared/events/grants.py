"""Events grants publishes: on `grants.installments.v1`, keyed by case id; and its signed ledger
checkpoints on `grants.ledger-checkpoints.v1`, under the one key `ledger`."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared.money import Money

from .codes import AssistanceType, CancellationReason, Category, DisbursementMethod, Milestone
from .envelope import Event


class ScheduledInstallment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    installment_id: UUID
    sequence: int
    amount: Money
    milestone: Milestone
    due_on: date | None = None
    assistance_type: AssistanceType | None = None
    # the milestone's terms (additive, issue 14): the visit number and minimum composite score of a
    # monitoring_visit milestone, the category of a referral_completed one
    visit: int | None = None
    min_composite: float | None = None
    category: Category | None = None


class GrantEvent(Event):
    grant_id: UUID
    case_id: UUID


class GrantOpened(GrantEvent):
    event_type = "GrantOpened"

    programme_id: str
    total: Money
    installments: list[ScheduledInstallment]


class GrantAwaitingFunding(GrantEvent):
    event_type = "GrantAwaitingFunding"

    programme_id: str
    total: Money
    shortfall: Money


class InstallmentEvent(GrantEvent):
    installment_id: UUID
    amount: Money


class InstallmentDue(InstallmentEvent):
    event_type = "InstallmentDue"


class InstallmentApproved(InstallmentEvent):
    event_type = "InstallmentApproved"

    approved_by: str


class InstallmentDisbursed(InstallmentEvent):
    event_type = "InstallmentDisbursed"

    method: DisbursementMethod
    disbursed_by: str


class InstallmentFailed(InstallmentEvent):
    event_type = "InstallmentFailed"

    reason: str


class InstallmentCancelled(InstallmentEvent):
    """An installment still waiting for its milestone was cancelled because the milestone can no
    longer happen (the returnee re-migrated); `released` (its amount) went back to the programme's
    budget in a balanced ledger transaction. A case's closure cancels through GrantClosed instead."""

    event_type = "InstallmentCancelled"

    assistance_type: AssistanceType
    milestone: Milestone
    reason: CancellationReason
    released: Money


class GrantAmended(GrantEvent):
    """The plan's amendment (intake's ReintegrationPlanAmended) changed the grant (issue 15): the
    installments of changed assistance types that still waited for their milestone were cancelled
    and `released` to the programme's budget; `added` installments were scheduled and `committed`.
    What was already due or paid stands (`not_reduced`: how much of a reduction it kept). Each
    amount moved in a balanced ledger transaction; `total` is the grant's total now."""

    event_type = "GrantAmended"

    amendment_id: UUID
    programme_id: str
    total: Money
    released: Money
    committed: Money
    not_reduced: Money
    cancelled_installments: list[UUID]
    added: list[ScheduledInstallment]


class GrantClosed(GrantEvent):
    event_type = "GrantClosed"

    reason: str
    released: Money
    # the installments the closure cancelled (an additive field: older readers ignore it)
    cancelled_installments: list[UUID] = []


LEDGER_CHECKPOINT_KEY = "ledger"


class LedgerCheckpointSigned(Event):
    """Grants signed its ledger as it stood at `entry_count` entries. The signature (Ed25519,
    base64) is over the text `homeward-ledger-checkpoint/1` of these fields (see the README); check
    it with the grants public key, given out of band, never taken from here."""

    event_type = "LedgerCheckpointSigned"

    number: int
    entry_count: int
    head_hash: str
    merkle_root: str
    signed_at: datetime
    key_id: str
    signature: str
