"""Log lines: a library's harmless complaints are not ERRORs (an ERROR must mean a person is needed)."""

from __future__ import annotations

import logging

from shared.logging import HarmlessLibraryLines


def record(name: str, level: int, message: str) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, (), None)


def test_a_leader_not_yet_elected_is_information_not_an_error() -> None:
    line = record("aiokafka.consumer.fetcher", logging.ERROR, "Failed fetch offsets from %s: %s")
    assert HarmlessLibraryLines(logging.INFO).filter(line)
    assert (line.levelno, line.levelname) == (logging.INFO, "INFO")


def test_the_topic_creation_reminder_is_dropped_below_debug_level() -> None:
    line = record("faststream.referral", logging.WARNING, "Auto create topics is disabled. Make sure...")
    assert not HarmlessLibraryLines(logging.INFO).filter(line)
    assert HarmlessLibraryLines(logging.DEBUG).filter(line)


def test_other_errors_keep_their_level() -> None:
    line = record("aiokafka.consumer.fetcher", logging.ERROR, "Unexpected error in fetcher routine")
    assert HarmlessLibraryLines(logging.INFO).filter(line)
    assert line.levelno == logging.ERROR
