"""An admin connection to a running broker: ACLs, SCRAM logins and quotas, as `sync` applies them.

ACLs and SCRAM logins go through confluent-kafka's AdminClient (librdkafka: `create_acls`,
`describe_acls`, `delete_acls`, `describe_user_scram_credentials`, `alter_user_scram_credentials`,
which salts and hashes the password itself); quotas through `quotas` (no maintained Python client
sets them yet). `sync` creates the topics with `shared.topics.ensure_topics`, as the services do.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from enum import Enum
from typing import Any, TypeVar

from aiokafka.client import AIOKafkaClient
from confluent_kafka import KafkaException

# confluent_kafka.admin exports these (its documented API), but imports them without the `as` that
# tells mypy so
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AclBinding as KafkaAclBinding,
)
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from shared.kafka.security import kafka_security_options
from shared.settings import Settings

from .access import Access, AclBinding, Quota, acl_changes, quota_changes, user_changes
from .quotas import alter_user_quotas, user_quotas

SCRAM_MECHANISM = ScramMechanism.SCRAM_SHA_512
SCRAM_ITERATIONS = 8192  # Kafka accepts 4096..16384
REQUEST_TIMEOUT_S = 15.0

T = TypeVar("T")


class AccessError(RuntimeError):
    pass


def loopback(bootstrap_servers: str) -> Settings:
    """Connection settings for a broker's loopback PLAINTEXT listener (the local launcher's
    super-user door): no login."""
    return Settings(
        kafka_bootstrap_servers=bootstrap_servers,
        kafka_security_protocol="PLAINTEXT",
        kafka_sasl_username=None,
        kafka_sasl_password=None,
    )


def librdkafka_config(settings: Settings) -> dict[str, Any]:
    """The same connection as `shared.kafka.security.kafka_security_options`, in librdkafka's terms."""
    config: dict[str, Any] = {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "client.id": "homeward-kafka-access",
        "security.protocol": settings.kafka_security_protocol,
        "logger": logging.getLogger("deploy.kafka.admin"),
    }
    if settings.kafka_security_protocol.startswith("SASL_"):
        if not settings.kafka_sasl_username or settings.kafka_sasl_password is None:
            raise AccessError("a SASL connection needs HOMEWARD_KAFKA_SASL_USERNAME and _PASSWORD")
        config |= {
            "sasl.mechanism": settings.kafka_sasl_mechanism,
            "sasl.username": settings.kafka_sasl_username,
            "sasl.password": settings.kafka_sasl_password.get_secret_value(),
        }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL") and settings.kafka_ssl_cafile:
        config["ssl.ca.location"] = str(settings.kafka_ssl_cafile)
    return config


# Homeward's names (the broker's words for them: `Read`, `prefixed`, ...) ↔ confluent-kafka's enums
def _to_kafka(binding: AclBinding) -> KafkaAclBinding:
    return KafkaAclBinding(
        ResourceType[binding.resource_type.upper()],
        binding.resource_name,
        ResourcePatternType[binding.pattern_type.upper()],
        binding.principal,
        binding.host,
        AclOperation[_enum_name(binding.operation)],
        AclPermissionType[binding.permission.upper()],
    )


def _from_kafka(binding: KafkaAclBinding) -> AclBinding:
    return AclBinding(
        principal=binding.principal,
        resource_type=_name(binding.restype).lower(),
        resource_name=binding.name,
        pattern_type=_name(binding.resource_pattern_type).lower(),
        operation="".join(part.title() for part in _name(binding.operation).split("_")),
        host=binding.host,
        permission=_name(binding.permission_type).lower(),
    )


def _name(value: Enum | str | int) -> str:
    """An enum member's name (confluent-kafka types these fields as enum, name or number; the
    bindings it returns hold enums)."""
    if not isinstance(value, Enum):
        raise AccessError(f"unexpected ACL field {value!r} from the admin client")
    return value.name


def _enum_name(operation: str) -> str:
    """`DescribeConfigs` → `DESCRIBE_CONFIGS`."""
    return "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(operation)).upper()


class AccessAdmin:
    """An admin connection to one cluster; use as `async with AccessAdmin(settings)`, where
    `settings` say how to connect (`loopback(bootstrap)` for the local broker's super-user door)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.admin = AdminClient(librdkafka_config(settings))
        self.client = AIOKafkaClient(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id="homeward-kafka-access",
            **kafka_security_options(settings),
        )

    async def __aenter__(self) -> AccessAdmin:
        await self.client.bootstrap()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.client.close()

    @staticmethod
    async def _result(future: Future[T], what: str) -> T:
        try:
            return await asyncio.wrap_future(future)
        except KafkaException as error:
            raise AccessError(f"{what} failed: {error.args[0]}") from error

    async def _all(self, futures: Mapping[Any, Future[Any]], what: str) -> None:
        for key, future in futures.items():
            await self._result(future, f"{what} {key}")

    async def acls(self) -> set[AclBinding]:
        every = AclBindingFilter(  # None matches any name, principal and host (as documented)
            ResourceType.ANY,
            None,  # type: ignore[arg-type]
            ResourcePatternType.ANY,
            None,  # type: ignore[arg-type]
            None,  # type: ignore[arg-type]
            AclOperation.ANY,
            AclPermissionType.ANY,
        )
        found = await self._result(
            self.admin.describe_acls(every, request_timeout=REQUEST_TIMEOUT_S), "listing ACLs"
        )
        return {_from_kafka(b) for b in found}

    async def create_acls(self, bindings: Iterable[AclBinding]) -> None:
        wanted = [_to_kafka(b) for b in bindings]
        if wanted:
            await self._all(self.admin.create_acls(wanted, request_timeout=REQUEST_TIMEOUT_S), "creating ACL")

    async def delete_acls(self, bindings: Iterable[AclBinding]) -> None:
        # exact filters: each matches its own binding only
        filters = [_exact_filter(b) for b in bindings]
        if filters:
            await self._all(
                self.admin.delete_acls(filters, request_timeout=REQUEST_TIMEOUT_S), "deleting ACL"
            )

    async def scram_users(self) -> set[str]:
        described = self.admin.describe_user_scram_credentials(request_timeout=REQUEST_TIMEOUT_S)
        if not isinstance(described, Future):  # only a list of users gives one future per user
            raise AccessError("listing SCRAM users: unexpected answer")
        users = await self._result(described, "listing SCRAM users")
        return {user for user, description in users.items() if description.scram_credential_infos}

    async def set_password(self, user: str, password: str) -> None:
        """Give `user` a SCRAM-SHA-512 login with `password` (librdkafka salts and hashes it)."""
        upsert = UserScramCredentialUpsertion(
            user, ScramCredentialInfo(SCRAM_MECHANISM, SCRAM_ITERATIONS), password.encode()
        )
        await self._all(
            self.admin.alter_user_scram_credentials([upsert], request_timeout=REQUEST_TIMEOUT_S),
            "setting the password of",
        )

    async def delete_users(self, users: Iterable[str]) -> None:
        deletions: list[Any] = [UserScramCredentialDeletion(u, SCRAM_MECHANISM) for u in users]
        if deletions:
            await self._all(
                self.admin.alter_user_scram_credentials(deletions, request_timeout=REQUEST_TIMEOUT_S),
                "deleting the login of",
            )

    async def quotas(self) -> dict[str, Quota | None]:
        return await user_quotas(self.client)

    async def alter_quotas(self, set_: Mapping[str, Quota], remove: list[str]) -> None:
        await alter_user_quotas(self.client, set_, remove)

    async def wait_until_applied(self, access: Access, timeout: float = REQUEST_TIMEOUT_S) -> None:
        """The controller acknowledges a change before the broker applies it to its authorizer,
        logins and quotas; return once this broker answers with `access`, so a client connecting
        next meets the new rules."""
        deadline = time.monotonic() + timeout
        while True:
            acls = acl_changes(access.acls, await self.acls())
            users = user_changes(access.users, await self.scram_users())
            quotas = quota_changes(access.quotas, await self.quotas())
            if not (
                acls.create or acls.delete or users.create or users.delete or quotas.set or quotas.remove
            ):
                return
            if time.monotonic() > deadline:
                raise AccessError(f"the broker did not apply the changes within {timeout:.0f}s")
            await asyncio.sleep(0.05)


def _exact_filter(binding: AclBinding) -> AclBindingFilter:
    exact = _to_kafka(binding)
    return AclBindingFilter(
        exact.restype,
        exact.name,
        exact.resource_pattern_type,
        exact.principal,
        exact.host,
        exact.operation,
        exact.permission_type,
    )
