"""`python -m bench.duplicates [PEOPLE ...]`: how long intake's duplicate check takes with PEOPLE
people in the store (default 10 000 and 100 000), all in one programme (the worst case: every
blocking key but the document's is per programme).

The check is what a registration runs in its transaction: lock the blocking keys, find the people
sharing one (the GIN index over `case_people.match_keys`), score them (core/matching.py). Half the
checks are of someone already stored, written another way (Cyrillic, surname first, day and month
swapped); half of someone new. Prints the median and the 95th percentile, and the query plan.

DATABASE_URL (default: the local launcher's PostgreSQL) names the database; the run works in a
schema of its own and drops it at the end."""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import cyrtranslit

from services.intake.app import MIGRATION_FOLDERS
from services.intake.core.matching import DEFAULT_THRESHOLD, blocking_keys, person_of
from services.intake.core.requests import Member
from services.intake.use_cases.duplicates import find_likely
from shared.db import create_pool, drop_schema, migrate, transaction
from shared.settings import Settings

PROGRAMME = "DE-STARTHILFEPLUS"
FIRST = [
    "Ana",
    "Marija",
    "Elena",
    "Jovana",
    "Sara",
    "Mila",
    "Ivana",
    "Katerina",
    "Maja",
    "Bojana",
    "Marko",
    "Stefan",
    "Nikola",
    "Petar",
    "Aleksandar",
    "Filip",
    "Dimitar",
    "Goran",
    "Zoran",
    "Igor",
    "Arbër",
    "Besnik",
    "Driton",
    "Fatmir",
    "Ilir",
    "Valon",
    "Blerina",
    "Arta",
    "Lira",
    "Drita",
    "Mimoza",
    "Elira",
    "Xhemail",
    "Bekim",
    "Agim",
    "Burim",
    "Ardit",
    "Edona",
    "Teuta",
    "Vjosa",
]
SURNAMES = [
    "Petrovski",
    "Stojanovski",
    "Nikolovski",
    "Trajkovski",
    "Jovanovski",
    "Ristovski",
    "Dimovski",
    "Georgievski",
    "Angelovski",
    "Stefanovski",
    "Kostovski",
    "Mitrevski",
    "Todorovski",
    "Ilievski",
    "Popovski",
    "Spasovski",
    "Velkovski",
    "Pavlovski",
    "Krasniqi",
    "Berisha",
    "Hoxha",
    "Shabani",
    "Rama",
    "Ramadani",
    "Bekiri",
    "Cela",
    "Gashi",
    "Morina",
    "Ahmeti",
    "Xhaferi",
    "Osmani",
    "Iseni",
    "Sulejmani",
    "Memeti",
    "Aliu",
    "Ismaili",
    "Idrizi",
    "Zeqiri",
    "Rexhepi",
    "Selimi",
    "Musliu",
    "Jakupi",
    "Useini",
    "Emini",
]
CHECKS = 200


def someone(rng: random.Random) -> Member:
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(65 * 365))
    first = rng.choice(FIRST)
    surname = rng.choice(SURNAMES)
    if first.endswith("a") and surname.endswith("ski"):
        surname = surname[:-1] + "a"
    return Member.model_validate(
        {
            "name": f"{first} {surname}",
            "date_of_birth": born.isoformat(),
            "sex": "female" if first.endswith("a") else "male",
            "relationship": "principal",
            "identity_document": {"type": "passport", "number": f"P{rng.randrange(10**8):08d}"},
        }
    )


def written_otherwise(member: Member, rng: random.Random) -> Member:
    """The same person as another office would type them."""
    name = cyrtranslit.to_cyrillic(member.name, "mk") if rng.random() < 0.5 else member.name
    name = " ".join(reversed(name.split()))
    born = member.date_of_birth
    if born.day <= 12 and rng.random() < 0.5:
        born = date(born.year, born.day, born.month)
    return member.model_copy(update={"name": name, "date_of_birth": born, "identity_document": None})


async def populate(pool: Any, people: list[Member]) -> None:
    now = datetime.now(UTC)
    user = uuid.uuid4()
    ids = [uuid.uuid4() for _ in people]
    cases = [
        (
            case_id,
            PROGRAMME,
            "skopje",
            "registered",
            "",
            {"members": [member.model_dump(mode="json")]},
            user,
            now,
            user,
            now,
        )
        for case_id, member in zip(ids, people, strict=True)
    ]
    rows = [
        (
            case_id,
            0,
            PROGRAMME,
            member.name.casefold(),
            member.date_of_birth,
            blocking_keys(person_of(member), PROGRAMME),
        )
        for case_id, member in zip(ids, people, strict=True)
    ]
    async with pool.acquire() as connection:
        # jsonb has no binary COPY encoder: the cases go in as rows
        await connection.executemany(
            "INSERT INTO cases (id, programme_id, municipality, status, search_text, document,"
            " registered_by, registered_at, updated_by, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            cases,
        )
        await connection.copy_records_to_table(
            "case_people",
            records=rows,
            columns=["case_id", "position", "programme_id", "name_key", "date_of_birth", "match_keys"],
        )
        await connection.execute("ANALYZE case_people")


async def measure(dsn: str, count: int) -> dict[str, object]:
    schema = f"bench_dup_{uuid.uuid4().hex[:8]}"
    rng = random.Random(count)
    await migrate(dsn, schema, MIGRATION_FOLDERS)
    pool = await create_pool(dsn, schema)
    try:
        people = [someone(rng) for _ in range(count)]
        started = time.perf_counter()
        await populate(pool, people)
        loaded = time.perf_counter() - started
        probes = [
            [written_otherwise(rng.choice(people), rng)] if i % 2 else [someone(rng)] for i in range(CHECKS)
        ]
        timings: list[float] = []
        flagged = {"stored": 0, "new": 0}  # probes with at least one candidate
        for i, probe in enumerate(probes):
            began = time.perf_counter()
            async with transaction(pool) as connection:
                likely = await find_likely(connection, PROGRAMME, probe, DEFAULT_THRESHOLD, lock=True)
            timings.append((time.perf_counter() - began) * 1000)
            flagged["stored" if i % 2 else "new"] += bool(likely)
        keys = blocking_keys(person_of(probes[1][0]), PROGRAMME)
        plan = await pool.fetch(
            "EXPLAIN ANALYZE SELECT p.case_id, c.document -> 'members' -> p.position"
            " FROM case_people p JOIN cases c ON c.id = p.case_id"
            " WHERE p.match_keys && $1::text[] AND c.erased_at IS NULL",
            keys,
        )
        timings.sort()
        result: dict[str, object] = {
            "people": count,
            "load_s": round(loaded, 1),
            "median_ms": round(statistics.median(timings), 2),
            "p95_ms": round(timings[int(0.95 * len(timings)) - 1], 2),
            "max_ms": round(timings[-1], 2),
            f"stored_people_found_of_{CHECKS // 2}": flagged["stored"],
            # a new person shown a candidate: a namesake born in the same month (the bench's names
            # come from 40 given names and 45 surnames, so namesakes are many)
            f"new_people_flagged_of_{CHECKS // 2}": flagged["new"],
        }
        print(result)
        print("  plan:\n    " + "\n    ".join(row[0] for row in plan))
        return result
    finally:
        await pool.close()
        await drop_schema(dsn, schema)


async def main(counts: list[int]) -> None:
    dsn = Settings().database_url
    for count in counts:
        await measure(dsn, count)


if __name__ == "__main__":
    asyncio.run(main([int(a) for a in sys.argv[1:]] or [10_000, 100_000]))
