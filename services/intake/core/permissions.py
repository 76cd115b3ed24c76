"""Who may do what on a case (the token check itself is `shared.http.auth`)."""

from __future__ import annotations

from shared.identity.model import Role

# finance and auditors read; only caseworkers and supervisors write; only supervisors approve plans
READERS = (Role.CASEWORKER, Role.SUPERVISOR, Role.FINANCE, Role.AUDITOR)
EDITORS = (Role.CASEWORKER, Role.SUPERVISOR)
APPROVERS = (Role.SUPERVISOR,)
# who announces expected returns, changes or cancels them and lists them (reception confirms: EDITORS)
ANNOUNCERS = (Role.SENDING_MISSION, Role.CASEWORKER, Role.SUPERVISOR)
# auditors read cases without personal data (views.redacted)
PERSONAL_DATA_READERS = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.FINANCE})
