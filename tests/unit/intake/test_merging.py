"""Merging an announcement into the case of the same family (core/merging.py): pure."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.intake.core import merging
from services.intake.core.case import Case, CaseStatus
from services.intake.core.errors import CaseConflict
from services.intake.core.matching import DEFAULT_THRESHOLD
from shared.events.duplicates import AnnouncementMerged
from shared.events.intake import CaseClosed
from tests.unit.intake.test_case_decisions import CASEWORKER, NOW, registered


def pair() -> tuple[Case, Case]:
    case = registered().case
    announcement = case.model_copy(update={"id": uuid4(), "office": None})
    return case, announcement


def test_the_announcement_is_closed_pointing_at_the_case_that_stays() -> None:
    case, announcement = pair()
    stays, closed = merging.merge(case, announcement, CASEWORKER, NOW, DEFAULT_THRESHOLD)

    assert stays.case.merged_from == [announcement.id]
    assert stays.case.status is case.status
    assert stays.event == AnnouncementMerged(
        case_id=case.id, announcement_id=announcement.id, merged_by=str(CASEWORKER)
    )
    assert closed.case.status is CaseStatus.CLOSED
    assert closed.case.merged_into == case.id
    assert isinstance(closed.event, CaseClosed)
    assert closed.event.case_id == announcement.id


def test_the_announcements_facts_join_where_the_case_has_none(monkeypatch: pytest.MonkeyPatch) -> None:
    """ARRIVAL_FACTS names the announcement's fields (issue 13's flight, arrival point...); the
    mechanism is shown here on a field every case has: `office`."""
    monkeypatch.setattr(merging, "ARRIVAL_FACTS", ("office",))
    case, announcement = pair()
    without = case.model_copy(update={"office": None})
    announced_at = announcement.model_copy(update={"office": "ohrid"})

    assert merging.merge(without, announced_at, CASEWORKER, NOW, DEFAULT_THRESHOLD)[0].case.office == "ohrid"
    assert case.office != "ohrid"
    assert merging.merge(case, announced_at, CASEWORKER, NOW, DEFAULT_THRESHOLD)[0].case.office == case.office


def test_only_an_unworked_announcement_of_likely_the_same_people_is_merged() -> None:
    case, announcement = pair()
    assessed = announcement.model_copy(update={"status": CaseStatus.ASSESSED})
    strangers = announcement.model_copy(
        update={
            "members": [
                m.model_copy(update={"name": f"Zzz Qqq{i}", "identity_document": None})
                for i, m in enumerate(announcement.members)
            ]
        }
    )
    closed_case = case.model_copy(update={"status": CaseStatus.CLOSED})
    for refused in [
        (case, assessed),
        (case, strangers),
        (closed_case, announcement),
        (case, case),
    ]:
        with pytest.raises(CaseConflict):
            merging.merge(*refused, CASEWORKER, NOW, DEFAULT_THRESHOLD)
