"""Apply `access.desired_access()` to a running broker: topics, SCRAM logins and ACLs.

Idempotent: a second run with the same partners changes nothing. Passwords of logins it creates
go to files in a credentials folder (mode 0600), never to the terminal or a log.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.client import AIOKafkaClient
from aiokafka.errors import for_code

from shared.topics import ensure_topics

from . import protocol as p
from .access import Access, AclBinding, acl_changes, user_changes

SCRAM_MECHANISM = "SCRAM-SHA-512"
SCRAM_ITERATIONS = 8192  # Kafka accepts 4096..16384


class AccessError(RuntimeError):
    pass


def _check(code: int, message: str | None, what: str) -> None:
    if code != 0:
        error = for_code(code)
        raise AccessError(f"{what} failed: {error.__name__} ({code}){': ' + message if message else ''}")


def _wire(binding: AclBinding) -> tuple[Any, ...]:
    return (
        p.RESOURCE_TYPES[binding.resource_type],
        binding.resource_name,
        p.PATTERN_TYPES[binding.pattern_type],
        binding.principal,
        binding.host,
        p.OPERATIONS[binding.operation],
        p.PERMISSIONS[binding.permission],
    )


def salted_password(password: str, salt: bytes, iterations: int = SCRAM_ITERATIONS) -> bytes:
    """SCRAM's Hi(): PBKDF2 with HMAC-SHA-512 (RFC 5802, RFC 7677); the broker keeps only keys
    derived from it."""
    return hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)


class AccessAdmin:
    """An admin connection to one cluster; use as `async with AccessAdmin(bootstrap, **security)`."""

    def __init__(self, bootstrap_servers: str, **security: Any) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.security = security
        self.client = AIOKafkaClient(
            bootstrap_servers=bootstrap_servers, client_id="homeward-kafka-access", **security
        )

    async def __aenter__(self) -> AccessAdmin:
        await self.client.bootstrap()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.client.close()

    async def _send(self, request: Any) -> Any:
        return await self.client.send(self.client.get_random_node(), request)

    async def acls(self) -> set[AclBinding]:
        response = await self._send(p.DescribeAcls())
        _check(response.error_code, response.error_message, "listing ACLs")
        found = set()
        for resource_type, name, pattern, rules in response.resources:
            for principal, host, operation, permission in rules:
                found.add(
                    AclBinding(
                        principal=principal,
                        resource_type=p.name_of(p.RESOURCE_TYPES, resource_type),
                        resource_name=name,
                        pattern_type=p.name_of(p.PATTERN_TYPES, pattern),
                        operation=p.name_of(p.OPERATIONS, operation),
                        host=host,
                        permission=p.name_of(p.PERMISSIONS, permission),
                    )
                )
        return found

    async def create_acls(self, bindings: Iterable[AclBinding]) -> None:
        wire = [_wire(b) for b in bindings]
        if not wire:
            return
        response = await self._send(p.CreateAcls(wire))
        for binding, (code, message) in zip(wire, response.results, strict=True):
            _check(code, message, f"creating ACL {binding}")

    async def delete_acls(self, bindings: Iterable[AclBinding]) -> None:
        wire = [_wire(b) for b in bindings]  # exact filters: each matches its own binding only
        if not wire:
            return
        response = await self._send(p.DeleteAcls(wire))
        for code, message, _ in response.filter_results:
            _check(code, message, "deleting ACLs")

    async def scram_users(self) -> set[str]:
        response = await self._send(p.DescribeUserScramCredentials())
        _check(response.error_code, response.error_message, "listing SCRAM users")
        return {user for user, code, _, infos, _ in response.results if code == 0 and infos}

    async def set_password(self, user: str, password: str) -> None:
        salt = secrets.token_bytes(32)
        upsert = (
            user,
            p.SCRAM_MECHANISMS[SCRAM_MECHANISM],
            SCRAM_ITERATIONS,
            salt,
            salted_password(password, salt),
        )
        response = await self._send(p.AlterUserScramCredentials([], [upsert]))
        for name, code, message, _ in response.results:
            _check(code, message, f"setting the password of {name}")

    async def wait_until_applied(self, access: Access, timeout: float = 15.0) -> None:
        """The controller acknowledges a change before the broker applies it to its authorizer
        and logins; return once this broker answers with `access`, so a client connecting next
        meets the new rules."""
        deadline = time.monotonic() + timeout
        while True:
            acls = acl_changes(access.acls, await self.acls())
            users = user_changes(access.users, await self.scram_users())
            if not (acls.create or acls.delete or users.create or users.delete):
                return
            if time.monotonic() > deadline:
                raise AccessError(f"the broker did not apply the changes within {timeout:.0f}s")
            await asyncio.sleep(0.05)

    async def delete_users(self, users: Iterable[str]) -> None:
        deletions = [(u, p.SCRAM_MECHANISMS[SCRAM_MECHANISM]) for u in users]
        if not deletions:
            return
        response = await self._send(p.AlterUserScramCredentials(deletions, []))
        for name, code, message, _ in response.results:
            _check(code, message, f"deleting the login of {name}")


@dataclass
class SyncReport:
    topics_created: list[str] = field(default_factory=list)
    users_created: list[str] = field(default_factory=list)
    users_deleted: list[str] = field(default_factory=list)
    acls_created: list[AclBinding] = field(default_factory=list)
    acls_deleted: list[AclBinding] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        users, acls = self.users_created + self.users_deleted, self.acls_created + self.acls_deleted
        return bool(self.topics_created or users or acls)


def write_password(folder: Path, user: str, password: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{user}.password"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(password)
    return path


async def sync_access(
    bootstrap_servers: str,
    access: Access,
    credentials_dir: Path,
    *,
    dry_run: bool = False,
    **security: Any,
) -> SyncReport:
    """Make the cluster hold exactly `access`: missing topics created (never deleted: that would
    delete data), logins created with a new password (written to `credentials_dir/<user>.password`)
    or deleted for partners no longer listed, ACLs created or deleted."""
    report = SyncReport()
    async with AccessAdmin(bootstrap_servers, **security) as admin:
        acls = acl_changes(access.acls, await admin.acls())
        users = user_changes(access.users, await admin.scram_users())
        report.users_created, report.users_deleted = list(users.create), list(users.delete)
        report.acls_created, report.acls_deleted = list(acls.create), list(acls.delete)
        if dry_run:
            return report
        report.topics_created = await ensure_topics(bootstrap_servers, access.topics, **security)
        for user in users.create:
            password = secrets.token_urlsafe(24)
            write_password(credentials_dir, user, password)
            await admin.set_password(user, password)
        await admin.delete_users(users.delete)
        await admin.delete_acls(acls.delete)
        await admin.create_acls(acls.create)
        await admin.wait_until_applied(access)
    return report
