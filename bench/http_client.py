"""A minimal HTTP/1.1 keep-alive client for load generation.

httpx spends CPU per request that grows with its open connections (about 1.4 ms at 16, 11 ms at
200 in this project's measurements): at a few hundred requests/s the load generator, not the service,
was the bottleneck. This client does one thing — send a request on an idle keep-alive connection
and read the whole response (Content-Length, chunked, or up to the close) — for well under 100 µs.

An idle connection is used again only while it is younger than `max_idle_s`, shorter than the
services' keep-alive (`HOMEWARD_HTTP_KEEP_ALIVE_S`, 5 s): a request written on a connection the
server is closing is lost as a reset or an incomplete read, which is the client's doing, not the
server's. (Before this, the latency benchmark reused connections left idle while it waited between
rates, and counted the server's keep-alive closes as "IncompleteReadError" failures.)
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class HttpError(Exception):
    pass


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = time.monotonic()

    def usable(self, max_idle_s: float) -> bool:
        return (
            time.monotonic() - self.idle_since < max_idle_s
            and not self.reader.at_eof()
            and not self.writer.is_closing()
        )

    def close(self) -> None:
        self.writer.close()


class RawHttpClient:
    def __init__(
        self, url: str, headers: Mapping[str, str], max_connections: int = 256, max_idle_s: float = 2.0
    ) -> None:
        host_port = url.removeprefix("http://").rstrip("/")
        self.host, _, port = host_port.partition(":")
        self.port = int(port or 80)
        fixed = {"Host": host_port, "Connection": "keep-alive", **headers}
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in fixed.items())
        self._idle: list[_Connection] = []
        self._open = 0
        self._slots = asyncio.Semaphore(max_connections)
        self.max_idle_s = max_idle_s

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """(status, body). A body that is not bytes is sent as JSON."""
        response = await self.exchange(method, path, body)
        return response.status, response.body

    async def exchange(self, method: str, path: str, body: Any = None) -> Response:
        """The whole response. A body that is not bytes is sent as JSON."""
        payload = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\n{self._fixed}"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        message = (head + "\r\n").encode() + payload
        async with self._slots:
            connection = self._take_idle() or await self._connect()
            try:
                connection.writer.write(message)
                response, keep = await self._response(connection.reader)
            except BaseException:
                connection.close()
                self._open -= 1
                raise
            if keep:
                connection.idle_since = time.monotonic()
                self._idle.append(connection)
            else:
                connection.close()
                self._open -= 1
            return response

    def _take_idle(self) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()
            if connection.usable(self.max_idle_s):
                return connection
            connection.close()
            self._open -= 1
        return None

    async def _connect(self) -> _Connection:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self._open += 1
        return _Connection(reader, writer)

    @staticmethod
    async def _response(reader: asyncio.StreamReader) -> tuple[Response, bool]:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise HttpError(f"not an HTTP response: {lines[0]!r}")
        status = int(parts[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        keep = headers.get("connection", "").lower() != "close"
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                chunk = await reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            body = b"".join(chunks)
        elif status in (204, 304) or status < 200:
            body = b""
        else:  # neither length nor chunks: the body ends where the server closes (RFC 9112 §6.3)
            body, keep = await reader.read(), False
        return Response(status, headers, body), keep

    async def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()
