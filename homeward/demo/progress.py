"""A plain-text progress bar: redrawn in place on a terminal, one line per tenth otherwise (a log
or a CI job reads better without carriage returns)."""

from __future__ import annotations

import sys
from typing import TextIO


def bar(done: int, total: int, label: str, width: int = 30) -> str:
    filled = width if total <= 0 else min(width, done * width // total)
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label}"


class Progress:
    def __init__(self, total: int, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.total = total
        self.label = label
        self.stream = stream or sys.stdout
        self.width = width
        self.tty = self.stream.isatty()
        self.done = 0
        self._tenths_shown = -1
        self._detail = ""

    def update(self, done: int, detail: str = "") -> None:
        self.done = done
        self._detail = detail
        if self.tty:
            self.stream.write(f"\r{self.line()}\x1b[K")
            self.stream.flush()
            return
        tenths = 10 if self.total <= 0 else done * 10 // self.total
        if tenths > self._tenths_shown:
            self._tenths_shown = tenths
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def advance(self, detail: str = "") -> None:
        self.update(self.done + 1, detail)

    def line(self) -> str:
        text = bar(self.done, self.total, self.label, self.width)
        return f"{text}  {self._detail}" if self._detail else text

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
