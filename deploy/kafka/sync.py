"""Apply `access.desired_access()` to a running broker: topics, SCRAM logins, ACLs and quotas.

Idempotent: a second run with the same partners changes nothing. Passwords of logins it creates
go to files in a credentials folder (mode 0600), never to the terminal or a log.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from shared.kafka.security import kafka_security_options
from shared.settings import Settings
from shared.topics import ensure_topics

from .access import Access, AclBinding, Quota, acl_changes, quota_changes, user_changes
from .admin import AccessAdmin


@dataclass
class SyncReport:
    topics_created: list[str] = field(default_factory=list)
    users_created: list[str] = field(default_factory=list)
    users_deleted: list[str] = field(default_factory=list)
    acls_created: list[AclBinding] = field(default_factory=list)
    acls_deleted: list[AclBinding] = field(default_factory=list)
    quotas_set: list[tuple[str, Quota]] = field(default_factory=list)
    quotas_removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        users, acls = self.users_created + self.users_deleted, self.acls_created + self.acls_deleted
        quotas = bool(self.quotas_set or self.quotas_removed)
        return bool(self.topics_created or users or acls or quotas)


def write_password(folder: Path, user: str, password: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{user}.password"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(password)
    return path


async def sync_access(
    settings: Settings, access: Access, credentials_dir: Path, *, dry_run: bool = False
) -> SyncReport:
    """Make the cluster `settings` connect to hold exactly `access`: missing topics created (never
    deleted: that would delete data), logins created with a new password (written to
    `credentials_dir/<user>.password`) or deleted for partners no longer listed, ACLs created or
    deleted, partners' quotas set or removed."""
    report = SyncReport()
    async with AccessAdmin(settings) as admin:
        acls = acl_changes(access.acls, await admin.acls())
        users = user_changes(access.users, await admin.scram_users())
        quotas = quota_changes(access.quotas, await admin.quotas())
        report.users_created, report.users_deleted = list(users.create), list(users.delete)
        report.acls_created, report.acls_deleted = list(acls.create), list(acls.delete)
        report.quotas_set, report.quotas_removed = list(quotas.set), list(quotas.remove)
        if dry_run:
            return report
        report.topics_created = await ensure_topics(
            settings.kafka_bootstrap_servers, access.topics, **kafka_security_options(settings)
        )
        for user in users.create:
            password = secrets.token_urlsafe(24)
            write_password(credentials_dir, user, password)
            await admin.set_password(user, password)
        await admin.delete_users(users.delete)
        await admin.delete_acls(acls.delete)
        await admin.create_acls(acls.create)
        await admin.alter_quotas(dict(quotas.set), list(quotas.remove))
        await admin.wait_until_applied(access)
    return report
