"""The read model, built only from the topics, equals what the source services hold; a rebuild
from the topics equals the live model; the report's money equals the ledger's to the minor unit;
no report has a cell under five people; a manager reads only their programmes' reports."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import openpyxl

from services.reporting.core.facts import Period
from services.reporting.core.suppression import THRESHOLD
from services.reporting.store import model
from services.reporting.use_cases.rebuild import rebuild
from shared.events import Envelope, uuid7
from tests.support import eventually, publish

from .conftest import OTHER_PROGRAMME, PROGRAMME, System
from .sources import ledger_balance_changes, ledger_money, model_rows, source_rows


async def caught_up(system: System) -> None:
    async def same() -> bool:
        return await model_rows(system) == await source_rows(system)

    try:
        await eventually(same, timeout=60, what="the read model to hold what the sources hold")
    except AssertionError:
        built, held = await model_rows(system), await source_rows(system)
        differences = {t: (built[t] - held[t], held[t] - built[t]) for t in held if built[t] != held[t]}
        raise AssertionError(
            f"the read model differs (only in the model, only in the source): {differences}"
        ) from None


async def report(system: System, who: str = "manager", **params: str) -> dict[str, Any]:
    found: dict[str, Any] = await system.ok(
        "reporting", "GET", f"/v1/reports/{PROGRAMME}", who, params=params
    )
    return found


def table(found: dict[str, Any], table_id: str) -> dict[str, Any]:
    return next(t for t in found["tables"] if t["id"] == table_id)


async def test_the_read_model_holds_what_the_sources_hold(system: System) -> None:
    await caught_up(system)
    rows = await model_rows(system)
    assert len(rows["cases"]) == 6
    assert len(rows["grants"]) == 6
    assert sum(1 for r in rows["cases"] if r[2]) == 2  # closed


async def test_the_report_money_equals_the_ledger_to_the_minor_unit(system: System) -> None:
    await caught_up(system)
    today = datetime.now(UTC).date()
    period = Period(today - timedelta(days=30), today)
    money = table(
        await report(system, **{"from": period.start.isoformat(), "to": period.end.isoformat()}),
        "money_by_assistance_type",
    )
    assert money["currency"] == "EUR"
    total = dict(zip(money["columns"], money["total"]["values"], strict=True))
    ledger = await ledger_money(system, PROGRAMME, period.since, period.before)
    assert {k: total[k] for k in ledger} == ledger
    assert ledger["committed"] == 6 * 60_000 + 60_000  # the first case's amendment committed 600.00 more
    assert ledger["returned"] > 0
    assert ledger["released"] > 0
    housing = next(r for r in money["rows"] if r["key"] == "housing")
    assert dict(zip(money["columns"], housing["values"], strict=True)) == total  # all of it was housing
    moved = await ledger_balance_changes(system, PROGRAMME, period.since, period.before)
    assert moved["disbursed"] == total["disbursed"] - total["returned"]
    assert (
        moved["committed"] == total["committed"] - total["disbursed"] + total["returned"] - total["released"]
    )
    # a period before any of it: nothing in the ledger, nothing in the report
    earlier = {
        "from": (today - timedelta(days=400)).isoformat(),
        "to": (today - timedelta(days=300)).isoformat(),
    }
    assert table(await report(system, **earlier), "money_by_assistance_type")["total"]["values"] == [
        0,
        0,
        0,
        0,
        0,
    ]


async def test_no_report_has_a_cell_under_five_people(system: System) -> None:
    await caught_up(system)
    found = await report(system)
    suppressed = 0
    for t in found["tables"]:
        counts = [
            i
            for i, c in enumerate(t["columns"])
            if c in ("count", "cases", "referred", "accepted", "completed")
        ]
        for row in [*t["rows"], t["total"]]:
            for i in counts:
                value = row["values"][i]
                assert value is None or value == 0 or value >= THRESHOLD, (t["id"], row, t["columns"][i])
                suppressed += value is None
    assert suppressed > 0  # the caseload has small cells: one woman, two children, one family
    # 2 women and girls beside 6 men and boys: no second cell hides the 2 from a published total of 8
    # (the men's 6 would narrow them to 1-3), so the whole table goes, total included
    sexes = table(found, "returns_by_sex")
    assert [r["values"][0] for r in sexes["rows"]] == [None, None, None]
    assert sexes["total"]["values"] == [None]
    money = table(found, "money_by_assistance_type")
    assert money["total"]["values"][0] == 6  # six cases' grants: published


async def test_a_rebuild_from_the_topics_equals_the_live_model(system: System) -> None:
    await caught_up(system)
    async with system.reporting.pool.acquire() as connection:
        live = await model.live_generation(connection)
        before = await model.model_rows(connection, live)
    rebuilt = await rebuild(system.reporting)
    assert rebuilt.previous == live
    assert rebuilt.generation > live
    assert rebuilt.events > 0
    async with system.reporting.pool.acquire() as connection:
        assert await model.live_generation(connection) == rebuilt.generation
        after = await model.model_rows(connection, rebuilt.generation)
        assert await model.model_rows(connection, live) == {t: [] for t in before}  # retired: gone
    assert after == before
    assert await model_rows(system) == await source_rows(system)


async def test_a_manager_reads_their_programmes_reports_and_nothing_personal(system: System) -> None:
    await caught_up(system)
    listed = await system.ok("reporting", "GET", "/v1/reports", "manager")
    assert listed == {"programmes": [PROGRAMME]}
    assert (await system.ok("reporting", "GET", "/v1/reports", "manager-nl")) == {"programmes": []}
    assert (await system.ok("reporting", "GET", "/v1/reports", "manager-none")) == {"programmes": []}
    for who in ("manager-nl", "manager-none"):  # another programme's report is no report to them
        response = await system.call("reporting", "GET", f"/v1/reports/{PROGRAMME}", who)
        assert response.status_code == 404, response.text
    response = await system.call("reporting", "GET", f"/v1/reports/{OTHER_PROGRAMME}", "manager")
    assert response.status_code == 404
    for who in ("caseworker", "finance", "auditor"):  # reports are the managers'
        assert (await system.call("reporting", "GET", "/v1/reports", who)).status_code == 403
    for service, path in (("intake", "/v1/cases"), ("referral", "/v1/referrals"), ("grants", "/v1/grants")):
        assert (await system.call(service, "GET", path, "manager")).status_code == 403, (service, path)


async def test_csv_and_workbook_carry_the_same_report(system: System) -> None:
    await caught_up(system)
    found = await report(system)
    csv_response = await system.call("reporting", "GET", f"/v1/reports/{PROGRAMME}/csv", "manager")
    assert csv_response.headers["content-type"].startswith("text/csv")
    lines = csv_response.text.splitlines()
    assert lines[0] == "table,unit,currency,row,column,value,suppressed"
    assert "returns_by_sex,people,,total,count,,yes" in lines
    assert "returns_by_sex,people,,female,count,,yes" in lines
    xlsx = await system.call("reporting", "GET", f"/v1/reports/{PROGRAMME}/xlsx", "manager")
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert workbook.sheetnames[0] == "Summary"
    sheet = workbook["returns_by_sex"]
    cells = {sheet.cell(r, 1).value: sheet.cell(r, 2).value for r in range(5, 5 + 4)}
    assert cells == {"female": "x", "male": "x", "other": "x", "total": "x"}
    money = workbook["money_by_assistance_type EUR"]
    total_row = next(r for r in range(5, 20) if money.cell(r, 1).value == "total")
    columns = table(found, "money_by_assistance_type")["columns"]
    assert [money.cell(total_row, c + 2).value for c in range(len(columns))] == table(
        found, "money_by_assistance_type"
    )["total"]["values"]


def visit_recorded(case_id: UUID, *, month: int, composite: float) -> bytes:
    """intake's MonitoringVisitRecorded in its published shape (issue 14; the class is intake's)."""
    data = {
        "case_id": str(case_id),
        "programme_id": PROGRAMME,
        "visit_id": str(uuid7()),
        "visit_number": 1,
        "scheduled_month": month,
        "visited_on": datetime.now(UTC).date().isoformat(),
        "survey": "rss-illustrative-1",
        "answers": {"income_source": "regular"},
        "indicator_scores": {"income_source": 1.0},
        "dimension_scores": {"economic": composite, "social": composite, "psychosocial": composite},
        "composite": composite,
        "business_operating": None,
        "in_municipality": True,
        "re_migrated": False,
        "recorded_by": str(uuid7()),
    }
    envelope = Envelope(
        event_id=uuid7(),
        type="MonitoringVisitRecorded",
        schema_version=1,
        occurred_at=datetime.now(UTC),
        key=str(case_id),
        correlation_id=uuid7(),
        producer="intake",
        data=data,
    )
    return envelope.to_bytes()


async def test_monitoring_visits_on_the_topic_give_the_survey_scores_by_quarter(system: System) -> None:
    await caught_up(system)
    async with system.reporting.pool.acquire() as connection:  # the caseload's own visit (re-migrated)
        recorded = [
            float(r["composite"])
            for r in await connection.fetch(
                "SELECT composite FROM visits WHERE generation = $1", await model.live_generation(connection)
            )
        ]
    values = [
        visit_recorded(case_id, month=6, composite=0.5 + i / 20) for i, case_id in enumerate(system.cases)
    ]
    await publish(system.settings["intake"].kafka_bootstrap_servers, system.topics.returnees.name, values)

    async def scored() -> dict[str, Any]:
        scores = table(await report(system), "survey_scores")
        return scores if scores["total"]["values"][0] == len(system.cases) else {}

    scores = await eventually(scored, what="the visits in the report")
    published = [0.5 + i / 20 for i in range(6)]
    composite = round(sum(published + recorded) / len(published + recorded), 3)
    # six cases visited (the re-migrated one twice)
    assert scores["total"]["values"][0] == 6
    assert scores["total"]["values"][4] == composite
    assert [row["values"][0] for row in scores["rows"]] == [6]
    async with system.reporting.pool.acquire() as connection:
        live = await model.live_generation(connection)
        assert len((await model.model_rows(connection, live))["visits"]) == 6 + len(recorded)


async def test_events_arriving_during_a_rebuild_are_in_the_model_it_swaps_in(system: System) -> None:
    await caught_up(system)
    bootstrap, topic = system.settings["intake"].kafka_bootstrap_servers, system.topics.returnees.name
    async with system.reporting.pool.acquire() as connection:
        before = len((await model.model_rows(connection, await model.live_generation(connection)))["visits"])
    rebuilding = asyncio.create_task(rebuild(system.reporting))
    for case_id in system.cases * 3:  # while it replays, catches up and swaps: the live consumer takes them
        await publish(bootstrap, topic, [visit_recorded(case_id, month=12, composite=0.7)])
    rebuilt = await rebuilding

    async def visits() -> int:
        async with system.reporting.pool.acquire() as connection:
            live = await model.live_generation(connection)
            return (
                len((await model.model_rows(connection, live))["visits"]) if live == rebuilt.generation else 0
            )

    await eventually(lambda: _equals(visits, before + 18), what="every visit in the swapped-in model")
    again = await rebuild(system.reporting)  # and a quiet rebuild holds exactly the same rows
    async with system.reporting.pool.acquire() as connection:
        assert len((await model.model_rows(connection, again.generation))["visits"]) == before + 18


async def _equals(count: Any, expected: int) -> bool:
    return bool(await count() == expected)
