"""Helpers the tests share: polling with a deadline, reading topics, and a cuttable TCP proxy."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

T = TypeVar("T")


async def eventually(
    check: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = 20.0,
    interval: float = 0.05,
    what: str = "condition",
) -> T:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


async def now(value: T) -> T:
    """`value` as something `eventually` can poll: `eventually(lambda: now(event.is_set()))`."""
    return value


async def read_topic(bootstrap: str, topic: str, *, at_least: int = 0, timeout: float = 20.0) -> list[Any]:
    """Every record of `topic` from the beginning up to its end offsets (waiting until at least
    `at_least` records exist, within `timeout`)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or set())]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or set())]
        assert partitions, f"topic {topic} does not exist"
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)

        async def enough() -> bool:
            ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
            return sum(ends.values()) >= at_least

        await eventually(enough, timeout=timeout, what=f"{at_least} records on {topic}")
        ends = await consumer.end_offsets(partitions)
        records: list[Any] = []
        deadline = time.monotonic() + timeout

        async def behind() -> bool:
            return any([await consumer.position(tp) < ends[tp] for tp in partitions])

        while await behind():
            if time.monotonic() > deadline:
                raise AssertionError(f"could not read {topic} to its end within {timeout}s")
            batch = await consumer.getmany(timeout_ms=200)
            for tp_records in batch.values():
                records.extend(tp_records)
        return records
    finally:
        await consumer.stop()


async def publish(
    bootstrap: str,
    topic: str,
    values: list[bytes],
    *,
    key: bytes | None = b"k",
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


def headers_of(record: Any) -> dict[str, str]:
    return {k: v.decode() for k, v in (record.headers or [])}


class CuttableProxy:
    """A TCP proxy to a real server that a test can cut (drop every connection and refuse new
    ones) and heal: a database or broker that goes away for real, without stopping it for the
    other tests sharing it."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._pipes.update({writer, up_writer})
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._pipes.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._pipes):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self._pipes.clear()

    async def heal(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def stop(self) -> None:
        await self.cut()


def problem_fields(response: Any) -> list[str]:
    """The invalid fields a 422 problem names, dotted: `members.2.relationship` for a body field,
    `query.limit` or `header.Idempotency-Key` for a parameter."""
    body = response.json()
    assert body["status"] == 422, body
    assert "errors" in body, body
    fields = []
    for error in body["errors"]:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in error["pointer"].split("/")[1:]]
        fields.append(".".join(parts if error["in"] == "body" else [error["in"], *parts]))
    return fields


def every_programme() -> tuple[str, ...]:
    """The programmes of the donor policy file (deploy/config): a user needs them listed to see
    anything, since an empty list sees nothing (scopes fail closed)."""
    from homeward.users import programme_ids
    from shared.settings import Settings

    return tuple(sorted(programme_ids(Settings().config_dir)))


async def sign_in(client: Any, name: str, password: str) -> dict[str, str]:
    """Sign in on the pages' form as a browser would (in a client of its own: `client` keeps no
    cookie); the session cookie as a header for later requests."""
    import httpx

    from shared.http.sessions import COOKIE

    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as browser:
        answer = await browser.post("/signin", data={"name": name, "password": password})
    assert answer.status_code == 303, answer.text
    session = answer.cookies.get(COOKIE)
    assert session, answer.headers
    return {"Cookie": f"{COOKIE}={session}"}


TEST_PASSWORD = "a long pass phrase nobody guesses"


# the partner a partner user of the tests acts for unless told otherwise (a partner of referral's
# test directory, tests/integration/referral/conftest.py)
TEST_PARTNER = "kumanovo-homes"


async def add_person(
    identity: Any, name: str, role: Any, programmes: Any = None, **scope: Any
) -> tuple[Any, str]:
    """A user with a token and the tests' password (cheap hashing): (user, token). `programmes`:
    every programme unless given (admins get none: they see every programme by their role; a
    partner's staff none either: they act for `partner_id`, TEST_PARTNER unless given)."""
    from shared.identity.model import Role
    from shared.identity.passwords import HashCost, Passwords

    if role is Role.PARTNER:
        scope.setdefault("partner_id", TEST_PARTNER)
    if programmes is None:
        programmes = () if role in (Role.ADMIN, Role.PARTNER) else every_programme()
    user, token = await identity.add_user(name, role, programmes=programmes, **scope)
    hashed = await Passwords(HashCost(1, 64, 1)).hash(TEST_PASSWORD)
    await identity.set_password(user.id, hashed, end_sessions=False)
    return user, token


def free_port() -> int:
    """A port nobody listens on right now: the kernel's pick for port 0."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
