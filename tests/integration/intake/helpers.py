"""What the intake integration tests read back: the events published for a case, unique people."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from shared.events import Envelope, parse_envelope
from tests.integration.intake.conftest import IntakeUnderTest
from tests.support import eventually, read_topic
from tests.unit.intake import samples


def today() -> Any:
    return datetime.now(UTC).date()


def unique_name(first: str = "Ana") -> str:
    """A name nobody else in the module's database has, nor one close to it: duplicate detection
    forgives typos, so a shared surname with a random tail would be "one person" to it."""
    return f"{first} {''.join(secrets.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(12)).title()}"


def family(**overrides: Any) -> dict[str, Any]:
    name = overrides.pop("name", None) or unique_name()
    document = overrides.pop("document", None) or unique_document()
    data = samples.family(name, today(), document=document, **overrides)
    for child in data["members"][1:]:  # children are people too: give them names of their own
        child["name"] = unique_name(child["name"].split()[0])
    return data


def single(**overrides: Any) -> dict[str, Any]:
    name = overrides.pop("name", None) or unique_name("Bekim")
    document = overrides.pop("document", None) or unique_document()
    return samples.single(name, today(), document, **overrides)


def unique_document() -> str:
    """A document number nobody else has: the same number is the same person in any programme."""
    return f"A{secrets.randbelow(10**8):08d}"


async def published(intake: IntakeUnderTest, case_id: str | UUID) -> list[Any]:
    """Every record on the returnees topic keyed by `case_id`, once the outbox has sent all of the
    case's rows (so nothing for it is still on its way)."""

    async def all_sent() -> bool:
        unsent = await intake.count(
            "SELECT count(*) FROM outbox WHERE key = $1 AND sent_at IS NULL", str(case_id)
        )
        return unsent == 0

    await eventually(all_sent, what=f"the outbox to send case {case_id}'s events")
    records = await read_topic(intake.settings.kafka_bootstrap_servers, intake.topics.returnees.name)
    return [r for r in records if r.key == str(case_id).encode()]


async def envelopes(intake: IntakeUnderTest, case_id: str | UUID) -> list[Envelope]:
    return [parse_envelope(r.value) for r in await published(intake, case_id)]
