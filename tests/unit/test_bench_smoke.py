"""The benchmark report (bench/report.py): what `make bench` prints and writes. No timings here:
benchmarks never run in `make test`."""

from __future__ import annotations

import json
from pathlib import Path

from bench.latency import percentiles
from bench.report import Report, Row, format_figure, render_table


def rows() -> list[Row]:
    return [
        Row("routing throughput", "raw loop", {"events/s": 22500.4, "events": 20000}, baseline=True),
        Row(
            "routing throughput",
            "referral service",
            {"events/s": 3120.0, "% of raw": 13.9},
            target=">= 3,000 events/s",
            met=True,
        ),
        Row("ledger", "grants ledger", {"postings/s": 1320.2, "p99 ms": None}, target=">= 5,000", met=False),
    ]


def test_the_table_names_each_benchmark_once_and_says_what_was_met() -> None:
    lines = render_table(rows()).splitlines()
    assert lines[0].split() == ["benchmark", "measured", "figures", "target"]
    assert set(lines[1]) == {"-", " "}
    assert lines[2].startswith("routing throughput")
    assert lines[2].endswith("baseline")
    assert lines[3].startswith(" ")  # the benchmark is named once
    assert "events/s 3,120" in lines[3]
    assert lines[3].endswith("met")
    assert "p99 ms -" in lines[4]
    assert lines[4].endswith("MISSED")
    # columns line up: every line's "measured" column starts at the same place
    column = lines[0].index("measured")
    assert {line[column - 2 : column] for line in lines[2:]} == {"  "}


def test_the_json_carries_every_row_and_the_missed_targets(tmp_path: Path) -> None:
    report = Report(context={"cpus": 2})
    for row in rows():
        report.add(row)
    written = json.loads(report.write_json(tmp_path / "results" / "latest.json").read_text())
    assert [r["subject"] for r in written["results"]] == ["raw loop", "referral service", "grants ledger"]
    assert written["results"][0]["figures"] == {"events/s": 22500.4, "events": 20000}
    assert written["results"][0]["baseline"] is True
    assert written["targets_missed"] == ["ledger: grants ledger (>= 5,000)"]
    assert written["context"] == {"cpus": 2}


def test_figures_are_printed_for_reading() -> None:
    assert [format_figure(v) for v in (22500.4, 31.26, 3.14159, 20000, None, "ok")] == [
        "22,500",
        "31.3",
        "3.14",
        "20,000",
        "-",
        "ok",
    ]


def test_percentiles_pick_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentiles(values) == {"p50 ms": 51.0, "p95 ms": 96.0, "p99 ms": 100.0, "max ms": 100.0}
    assert percentiles([]) == {"p50 ms": None, "p95 ms": None, "p99 ms": None, "max ms": None}
