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
    referral: RunningReferral, partner_id: str, decide: str, *options: str, max_referrals: int = 1
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
        "--max-referrals",
        str(max_referrals),
        *options,
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
    responses = [
        *await published(
            referral, key=event.key, type=None, count=1, topic="referral.responses.ohrid-jobs-a.v1"
        ),
        *await published(
            referral, key=event.key, type=None, count=2, topic="referral.responses.ohrid-jobs-b.v1"
        ),
    ]
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
        referral, "kumanovo-care", "complete", "--store", str(store), "--stop-after-erasure", max_referrals=0
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


async def test_the_example_partner_acts_once_on_a_referral_delivered_twice(referral: RunningReferral) -> None:
    """At least once: a ReferralIssued on the partner's topic twice, with the same event id (as after
    a relay crashed between publishing and marking its batch sent). The example answers it once."""
    event = needs_assessed(municipality="bitola", needs=[Category.HOUSING])
    await referral.send(referral.topics.returnees, event)
    [issued] = await published(referral, key=event.key, type="ReferralIssued", count=1)
    # the same bytes again, keyed by the case: after the first in the same partition
    await referral.send_raw(referral.topics.partner("bitola-homes"), issued.value, issued.key)

    partner = await run_partner(referral, "bitola-homes", "accept", max_referrals=0)  # runs until stopped
    assert partner.stdout is not None
    lines: list[str] = []

    async def skipped_the_copy() -> None:
        while "delivered before" not in (lines[-1] if lines else ""):
            line = await partner.stdout.readline()  # type: ignore[union-attr]
            if not line:
                raise AssertionError("the example partner stopped:\n" + "".join(lines))
            lines.append(line.decode())

    try:
        await asyncio.wait_for(skipped_the_copy(), timeout=30)
    finally:
        partner.terminate()
        await partner.wait()
    output = "".join(lines)
    assert f"skipping ReferralIssued event={issued.envelope['event_id']}: delivered before" in output
    assert output.count("ReferralAccepted") == 1
    await published(referral, key=event.key, type="ReferralStatusChanged", count=2)
    answers = await published(
        referral, key=event.key, type=None, count=1, topic="referral.responses.bitola-homes.v1"
    )
    assert [a.type for a in answers] == ["ReferralAccepted"]
    assert referral.recorder.find(topic="referral.responses.dlq", key=event.key) == []
