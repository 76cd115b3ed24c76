# aiokafka's protocol classes are untyped to mypy: subclassing them is the point here
# mypy: disable-error-code="misc"
"""Client quotas (KIP-546) on user entities: read with aiokafka's own DescribeClientQuotas, set with
AlterClientQuotas.

No maintained Python admin client sets quotas yet: confluent-kafka's AdminClient (2.16) has no
`alter_client_quotas` (confluentinc/confluent-kafka-python#2321 is a draft waiting for
confluentinc/librdkafka#5560), aiokafka declares only DescribeClientQuotas, kafka-python 3 neither.
So AlterClientQuotas v0 is declared here in aiokafka's protocol types, as aiokafka declares its
Describe twin; replace it with `AdminClient.alter_client_quotas` once confluent-kafka ships it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiokafka.client import AIOKafkaClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import DescribeClientQuotasRequest
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import Array, Boolean, Float64, Int16, Int32, Schema, String

from .access import Quota

USER = "user"
MATCH_ANY_NAMED = 2  # DescribeClientQuotas match type: any entity with a name of this type
PRODUCE, FETCH = "producer_byte_rate", "consumer_byte_rate"
# the other quotas Kafka keeps on a user: a sync takes them away, so that a partner's quota is
# exactly Homeward's and a second sync finds nothing to change
OTHER_USER_QUOTAS = ("request_percentage", "controller_mutation_rate")


class QuotaError(RuntimeError):
    pass


class AlterClientQuotasResponse_v0(Response):
    API_KEY = 49
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "entries",
            Array(
                ("error_code", Int16),
                ("error_message", String("utf-8")),
                ("entity", Array(("entity_type", String("utf-8")), ("entity_name", String("utf-8")))),
            ),
        ),
    )


class AlterClientQuotasRequest_v0(RequestStruct):
    API_KEY = 49
    API_VERSION = 0
    RESPONSE_TYPE = AlterClientQuotasResponse_v0
    SCHEMA = Schema(
        (
            "entries",
            Array(
                ("entity", Array(("entity_type", String("utf-8")), ("entity_name", String("utf-8")))),
                ("ops", Array(("key", String("utf-8")), ("value", Float64), ("remove", Boolean))),
            ),
        ),
        ("validate_only", Boolean),
    )


class AlterClientQuotas(Request[AlterClientQuotasRequest_v0]):
    API_KEY = 49

    def __init__(self, entries: list[tuple[Any, ...]]) -> None:
        self.entries = entries

    def build(self, request_struct_class: type[AlterClientQuotasRequest_v0]) -> AlterClientQuotasRequest_v0:
        return request_struct_class(entries=self.entries, validate_only=False)


def _quota_of(values: Mapping[str, float]) -> Quota | None:
    """Homeward's quota, or None when the entity holds anything else (another key, one rate only)."""
    if set(values) != {PRODUCE, FETCH}:
        return None
    return Quota(producer_byte_rate=int(values[PRODUCE]), consumer_byte_rate=int(values[FETCH]))


async def user_quotas(client: AIOKafkaClient) -> dict[str, Quota | None]:
    """Every user (by name; the default entity is not Homeward's) that has a quota of its own."""
    request = DescribeClientQuotasRequest([(USER, MATCH_ANY_NAMED, None)], strict=True)
    response = await client.send(client.get_random_node(), request)
    if response.error_code:
        raise QuotaError(f"listing quotas failed: {for_code(response.error_code).__name__}")
    found: dict[str, Quota | None] = {}
    for entity, values in response.entries:
        names = dict(entity)
        if set(names) == {USER} and names[USER] is not None:
            found[names[USER]] = _quota_of(dict(values))
    return found


async def alter_user_quotas(client: AIOKafkaClient, set_: Mapping[str, Quota], remove: list[str]) -> None:
    """Give each user in `set_` exactly its quota, and take every quota of each user in `remove`."""
    others = [(key, 0.0, True) for key in OTHER_USER_QUOTAS]
    entries = [
        (
            [(USER, user)],
            [
                (PRODUCE, float(q.producer_byte_rate), False),
                (FETCH, float(q.consumer_byte_rate), False),
                *others,
            ],
        )
        for user, q in set_.items()
    ] + [([(USER, user)], [(PRODUCE, 0.0, True), (FETCH, 0.0, True), *others]) for user in remove]
    if not entries:
        return
    # quotas live in the cluster's metadata: any broker forwards the change to the controller
    response = await client.send(client.get_random_node(), AlterClientQuotas(entries))
    for code, message, entity in response.entries:
        if code:
            raise QuotaError(
                f"setting the quota of {dict(entity)} failed: {for_code(code).__name__}"
                + (f": {message}" if message else "")
            )
