"""The example partner (examples/partner_consumer.py), run as a separate process against the real
broker, takes a referral from issue to completion; the caseworker sees it completed over HTTP.

One partner declines first, so the case shows the whole path: issued → declined → re-routed →
accepted → completed. The events seen on the topics are printed (run with `-s` to read them).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from uuid import UUID

import pytest

from shared.events import Category
from tests.support import eventually

from .checks import published
from .conftest import RunningReferral
from .events import needs_assessed, personal_data_erased
from .recorder import Seen

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "partner_consumer.py"


async def run_partner(
    referral: RunningReferral, partner_id: str, decide: str, *options: str
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        "--bootstrap",
        referral.settings.kafka_bootstrap_servers,
        "--partner-id",
        partner_id,
        "--topic-prefix",
        referral.settings.topic_prefix,
        "--decide",
        decide,
        *(options or ("--max-referrals", "1")),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def finished(process: asyncio.subprocess.Process) -> str:
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    except TimeoutError:
        process.kill()
        output, _ = await process.communicate()
        raise AssertionError(f"the example partner did not finish:\n{output.decode()}") from None
    assert process.returncode == 0, output.decode()
    return output.decode()


def timeline(records: list[Seen]) -> str:
    """One line per event for the case, in the order they happened (UUIDv7 ids sort by time)."""
    lines = []
    for r in sorted(records, key=lambda r: (r.envelope["occurred_at"], r.envelope["event_id"])):
        d = r.data
        referral = f"referral=…{d['referral_id'][-6:]}" if "referral_id" in d else ""
        detail = " ".join(
            f"{k}={d[k]}"
            for k in ("partner_id", "category", "status", "priority", "reason", "outcome")
            if d.get(k)
        )
        lines.append(f"{r.topic:27} {r.type:21} {r.envelope['producer']:12} {referral:16} {detail}".rstrip())
    return "\n".join(lines)


async def test_the_example_partner_takes_a_referral_to_completion(referral: RunningReferral) -> None:
    decliner = await run_partner(referral, "ohrid-jobs-a", "decline")
    completer = await run_partner(referral, "ohrid-jobs-b", "complete")
    event = needs_assessed(municipality="ohrid", needs=[Category.EMPLOYMENT])
    await referral.send(referral.topics.returnees, event)

    declined_output, completed_output = await finished(decliner), await finished(completer)
    assert "ReferralDeclined" in declined_output
    assert "ReferralAccepted" in completed_output
    assert "ReferralCompleted" in completed_output

    async def completed() -> list[dict[str, object]]:
        response = await referral.client.get("/v1/referrals", params={"case_id": event.key})
        found = response.json()["referrals"]
        return found if {r["status"] for r in found} == {"declined", "completed"} else []

    referrals = await eventually(completed, timeout=15, what="the referral to be completed")
    assert sorted((r["partner_id"], r["status"], r["reason"]) for r in referrals) == [
        ("ohrid-jobs-a", "declined", "no place available this month"),
        ("ohrid-jobs-b", "completed", "assistance provided"),
    ]
    # the recorder reads each topic at its own pace: wait until it has the whole story
    await published(referral, key=event.key, type="ReferralStatusChanged", count=5)
    await published(referral, key=event.key, type="ReferralIssued", count=2)
    responses = await published(referral, key=event.key, type=None, count=3, topic="referral.responses.v1")
    issued = {
        s.data["referral_id"]: s.envelope
        for s in referral.recorder.find(key=event.key, type="ReferralIssued")
    }
    for response in responses:  # the example answers exactly as the contract asks
        origin = issued[response.data["referral_id"]]
        assert response.envelope["causation_id"] == origin["event_id"]
        assert response.envelope["correlation_id"] == origin["correlation_id"] == str(event.correlation_id)
        assert response.envelope["producer"] == response.data["partner_id"]
    print(f"\ncase {event.key}: the events on the topics\n{timeline(referral.recorder.find(key=event.key))}")


async def test_the_example_partner_deletes_what_it_holds_when_asked_to(
    referral: RunningReferral, tmp_path: Path
) -> None:
    """A completed referral's partner still holds the case: when the case's personal data is erased
    it is asked to delete it (ErasureRequested on its own topic), and the example does."""
    store = tmp_path / "holdings.json"
    partner = await run_partner(
        referral, "kumanovo-care", "complete", "--store", str(store), "--stop-after-erasure"
    )
    event = needs_assessed(municipality="kumanovo", needs=[Category.MEDICAL])
    await referral.send(referral.topics.returnees, event)

    async def held() -> bool:
        return store.exists() and event.key in json.loads(store.read_text())

    await eventually(held, what="the partner to keep the referral")

    async def completed() -> bool:
        response = await referral.client.get("/v1/referrals", params={"case_id": event.key})
        return [r["status"] for r in response.json()["referrals"]] == ["completed"]

    await eventually(completed, what="the referral to be completed")
    await referral.send(referral.topics.returnees, personal_data_erased(UUID(event.key)))

    output = await finished(partner)
    assert f"erased case={event.key} referrals=1 reason=retention_ended" in output
    assert event.key not in json.loads(store.read_text())
    [request] = await published(referral, key=event.key, type="ErasureRequested", count=1)
    assert request.topic == "referrals.kumanovo-care.v1"
