"""Small process helpers shared by the local Kafka and PostgreSQL launchers."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path


class InfraError(RuntimeError):
    """A problem the person running the launcher can fix; its message is one line saying how."""


def require_tool(name: str, what_for: str, install_hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise InfraError(f"'{name}' was not found: {what_for} needs it. Install {install_hint}.")
    return path


def pid_is_alive(pid: int, cmdline_marker: str | None = None) -> bool:
    """True while `pid` runs and is not a zombie (and, if given, its command line holds the marker).

    The marker guards against a stale pid file whose number was reused by another process.
    """
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    except ChildProcessError:
        pass  # not our child: fine, look it up in /proc
    proc = Path(f"/proc/{pid}")
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        if state in {"Z", "X"}:
            return False
        if cmdline_marker is not None:
            return cmdline_marker in (proc / "cmdline").read_bytes().decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return True


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def terminate(pid: int, cmdline_marker: str, timeout: float) -> None:
    """SIGTERM, wait up to `timeout` seconds for a clean exit, then SIGKILL."""
    if not pid_is_alive(pid, cmdline_marker):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_is_alive(pid, cmdline_marker):
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    while pid_is_alive(pid, cmdline_marker):
        time.sleep(0.05)


def kill_now(pid: int, cmdline_marker: str) -> None:
    """SIGKILL, for fault tests that need a crash rather than a clean stop."""
    if pid_is_alive(pid, cmdline_marker):
        os.kill(pid, signal.SIGKILL)
        while pid_is_alive(pid, cmdline_marker):
            time.sleep(0.05)
