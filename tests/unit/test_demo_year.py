"""The demo's year (homeward.demo.monitoring, .caseload): arrivals back-dated over the last
eighteen months, most in the last twelve; each programme's visits at the months its policy names,
after the arrival and never in the future; a re-migration is the last visit; the answers are the
survey's own."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from homeward.demo.caseload import PROGRAMMES, caseload
from homeward.demo.monitoring import VISITS_AFTER_MONTHS, Survey, add_months, visits_for
from services.grants.core.policies import load_policies
from services.intake.core.monitoring import load_survey

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "config"
TODAY = date(2026, 11, 30)


def survey() -> Survey:
    loaded = load_survey(CONFIG / "monitoring.yaml")
    return Survey({i.code: list(i.answers) for i in loaded.indicators})


def test_the_demo_knows_each_programmes_monitoring_schedule_as_the_policies_say() -> None:
    policies = load_policies(CONFIG / "donor-policies.yaml")
    schedules = {
        p.id: tuple(p.monitoring.visits_after_months) for p in policies.programmes if p.monitoring is not None
    }
    assert schedules == VISITS_AFTER_MONTHS
    assert set(VISITS_AFTER_MONTHS) == {p.id for p in PROGRAMMES}


def test_arrivals_spread_over_the_last_eighteen_months_most_in_the_last_twelve() -> None:
    arrivals = [date.fromisoformat(c.registration["arrival_date"]) for c in caseload(400, 1, TODAY)]
    assert all(0 <= (TODAY - day).days < 548 for day in arrivals)
    assert sum((TODAY - day).days < 365 for day in arrivals) > len(arrivals) / 2
    # some arrived more than a year ago: their twelve-month visit falls due within the year
    assert any(add_months(day, 12) <= TODAY for day in arrivals)
    # every quarter of the year has arrivals, so every scheduled visit month is reached by some
    assert {(TODAY - day).days // 91 for day in arrivals} >= {0, 1, 2, 3}


def test_visits_follow_the_schedule_and_stop_at_a_re_migration() -> None:
    asked = survey()
    cases = caseload(400, 1, TODAY)
    every = [(case, visits_for(case, asked, TODAY)) for case in cases]
    visited = [(case, reports) for case, reports in every if reports]
    assert len(visited) > 100
    for case, reports in visited:
        assert case.stage in ("assessed", "plan_proposed", "plan_approved")
        assert not case.announced
        arrival = date.fromisoformat(case.registration["arrival_date"])
        months = VISITS_AFTER_MONTHS[case.programme.id]
        days = [date.fromisoformat(r["visited_on"]) for r in reports]
        assert len(days) <= len(months)
        for day, month in zip(days, months, strict=False):
            assert add_months(arrival, month) <= day <= TODAY
        assert days == sorted(days)
        assert all(not r["re_migrated"] for r in reports[:-1])  # no visit after one abroad
        for report in reports:
            assert set(report["answers"]) == set(asked.answers)
            assert all(report["answers"][code] in asked.answers[code] for code in asked.answers)
            assert not (report["re_migrated"] and report["in_municipality"])
    # some re-migrate, some supported businesses are operating
    assert any(r["re_migrated"] for _, reports in visited for r in reports)
    assert any(r["business_operating"] for _, reports in visited for r in reports)
    # every case whose first scheduled visit is due by today, and that is open and interviewed, has it
    for case, reports in every:
        arrival = date.fromisoformat(case.registration["arrival_date"])
        first = add_months(arrival, VISITS_AFTER_MONTHS[case.programme.id][0])
        interviewed = case.stage in ("assessed", "plan_proposed", "plan_approved")
        assert bool(reports) == (interviewed and not case.announced and first <= TODAY)


def test_the_same_case_gets_the_same_visits() -> None:
    asked = survey()
    first, again = caseload(50, 4, TODAY), caseload(50, 4, TODAY)
    assert [visits_for(c, asked, TODAY) for c in first] == [visits_for(c, asked, TODAY) for c in again]
