"""Who may see what betrays a vulnerability, and why a case's data is touched: pure rules every
service applies the same way (DESIGN rule 7). No I/O.

- `sees_vulnerabilities(role)`: the roles that may see a case's vulnerabilities — and so anything
  that would give one away: which partner holds a referral (a safe house's id says "victim of
  trafficking"), what a partner was sent, its deadline, a grant's vulnerability supplement.
- `Action` and `Purpose`: the access log's "what" and "why". The purpose follows from the role and
  the action (`purpose_for`), except where the caller must say why (a data subject's request, an
  erasure): there it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from shared.events.codes import ErasureReason
from shared.identity.model import Role, User

# Everyone else (auditors, admins, the data-protection officer) sees that a partner holds a
# referral, not which, and never a vulnerability.
VULNERABILITY_READERS = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.FINANCE})


def sees_vulnerabilities(role: Role | str) -> bool:
    return role in VULNERABILITY_READERS


# The same roles read personal data where a service holds any (intake's case, a supplier's name
# an officer typed on a grant's installment); everyone else reads ids, codes and amounts.
PERSONAL_DATA_READERS = VULNERABILITY_READERS


def sees_personal_data(role: Role | str) -> bool:
    return role in PERSONAL_DATA_READERS


class Action(StrEnum):
    """What was done with a case's data (the access log's `action`)."""

    READ = "read"
    LIST = "list"
    TIMELINE = "timeline"
    PAGE = "page"
    EXPORT = "export"
    REGISTER = "register"
    ASSESS = "assess"
    CHANGE_CONSENT = "change_consent"
    PROPOSE_PLAN = "propose_plan"
    APPROVE_PLAN = "approve_plan"
    ASSIGN = "assign"  # a supervisor gave the case to another caseworker or office
    CLOSE = "close"
    # intake's duplicate check compared someone with this case's people, and the user was shown
    # that it likely holds them (a score and reasons, no more)
    MATCH = "match"
    DISTINCT = "distinct"  # a caseworker recorded that two cases' people are different people
    MERGE = "merge"  # an announcement merged into the registered case of the same family
    MONITOR = "monitor"  # intake: a monitoring visit recorded
    ERASE = "erase"
    VERIFY = "verify"  # grants: a business plan verified
    PAY = "pay"  # grants: an installment approved, disbursed or recorded as failed
    ANNOUNCE = "announce"  # intake: an expected return announced
    RESCHEDULE = "reschedule"  # intake: an expected return's flight or crossing changed
    CANCEL_ARRIVAL = "cancel_arrival"
    CONFIRM_ARRIVAL = "confirm_arrival"
    MISS_ARRIVAL = "miss_arrival"  # intake's job: nobody confirmed the arrival in time
    ANSWER = "answer"  # referral: a partner's staff answered a referral on the partner portal
    # issue 15: cases change as lives do
    EDIT_HOUSEHOLD = "edit_household"
    CHANGE_CONTACT = "change_contact"
    REOPEN = "reopen"  # a supervisor reopened a closed case
    PROPOSE_AMENDMENT = "propose_amendment"  # of an approved plan
    APPROVE_AMENDMENT = "approve_amendment"
    # referral: a caseworker withdrew, re-routed, placed by hand, held or released a referral
    REFER = "refer"


class Purpose(StrEnum):
    """Why (the access log's `purpose`)."""

    CASE_MANAGEMENT = "case_management"
    SUPERVISION = "supervision"
    GRANT_ADMINISTRATION = "grant_administration"
    AUDIT = "audit"
    DATA_PROTECTION = "data_protection"
    ADMINISTRATION = "administration"
    RETURN_PREPARATION = "return_preparation"  # a sending mission announcing and following a return
    # a partner's staff reading and answering the referrals sent to their partner (the portal)
    PARTNER_SERVICE = "partner_service"
    SUBJECT_ACCESS = "subject_access"  # a data subject's request for what is held about them
    ERASURE = "erasure"  # erased at a request, or because the law requires it
    RETENTION = "retention"  # erased because the retention period ended


# given, never derived: the caller must say why
EXPLAINED_ACTIONS = frozenset({Action.EXPORT, Action.ERASE})

_BY_ROLE = {
    Role.CASEWORKER: Purpose.CASE_MANAGEMENT,
    Role.SUPERVISOR: Purpose.CASE_MANAGEMENT,
    Role.FINANCE: Purpose.GRANT_ADMINISTRATION,
    Role.AUDITOR: Purpose.AUDIT,
    Role.DPO: Purpose.DATA_PROTECTION,
    Role.ADMIN: Purpose.ADMINISTRATION,
    Role.SENDING_MISSION: Purpose.RETURN_PREPARATION,
    Role.PARTNER: Purpose.PARTNER_SERVICE,
}


class PurposeRequired(ValueError):
    """An action whose purpose the caller must give was recorded without one."""


def purpose_for(role: str, action: Action, given: Purpose | None = None) -> Purpose:
    """The purpose of `action` by someone in `role`: `given` when the action must be explained,
    else derived (a supervisor approving a plan, reassigning or reopening a case supervises; otherwise the
    role's own purpose)."""
    if given is not None:
        return given
    if action in EXPLAINED_ACTIONS:
        raise PurposeRequired(f"{action.value} needs an explicit purpose")
    if role == Role.SUPERVISOR and action in (
        Action.APPROVE_PLAN,
        Action.APPROVE_AMENDMENT,
        Action.ASSIGN,
        Action.REOPEN,
    ):
        return Purpose.SUPERVISION
    try:
        return _BY_ROLE[Role(role)]
    except (ValueError, KeyError):
        raise PurposeRequired(f"no purpose follows from role {role!r}; give one") from None


def erasure_purpose(reason: ErasureReason) -> Purpose:
    return Purpose.RETENTION if reason is ErasureReason.RETENTION_ENDED else Purpose.ERASURE


@dataclass(frozen=True)
class Actor:
    """Who acted: a signed-in user, or (`id` None) the service itself or an operator's command."""

    id: UUID | None
    name: str
    role: str

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.name, user.role.value)


RETENTION_JOB = Actor(None, "retention job", "system")


def operator(name: str) -> Actor:
    """An operator running `homeward privacy ...` (no signed-in user: the OS account names them)."""
    return Actor(None, f"operator {name}", "operator")
