"""The relay picks each record's partition itself (to hand the producer whole batches): it must be
the partition the producer's default partitioner would pick, or a case's events would change
partition — and lose their order — between relays of different versions."""

from __future__ import annotations

import asyncio
from typing import cast
from uuid import uuid4

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given
from hypothesis import strategies as st

from shared.outbox.publishing import _Partitioner


class Producer:
    def __init__(self, partitions: int) -> None:
        self.partitions = set(range(partitions))

    async def partitions_for(self, topic: str) -> set[int]:
        return self.partitions


@given(
    keys=st.lists(st.one_of(st.binary(min_size=1, max_size=64), st.builds(lambda: str(uuid4()).encode()))),
    partitions=st.integers(min_value=1, max_value=64),
)
def test_the_relay_partitions_every_key_as_the_default_partitioner_does(
    keys: list[bytes], partitions: int
) -> None:
    choose = _Partitioner(cast(AIOKafkaProducer, Producer(partitions)))
    every = list(range(partitions))
    for key in keys + keys:  # the second round comes from the per-batch cache
        assert asyncio.run(choose("topic", key)) == DefaultPartitioner()(key, every, every)
