"""The outbox (DESIGN rule 1): events are rows written in the caller's transaction; a relay
publishes them to Kafka and only then marks them sent. Split by job from the former `shared/outbox.py`."""

from .relay import OutboxRelay, _Partitioner, append, append_many, unsent_count

__all__ = ["OutboxRelay", "_Partitioner", "append", "append_many", "unsent_count"]
