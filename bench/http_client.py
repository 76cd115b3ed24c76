"""A minimal HTTP/1.1 keep-alive client for load generation.

httpx spends CPU per request that grows with its open connections (about 1.4 ms at 16, 11 ms at
200 in this project's measurements): at a few hundred requests/s the load generator, not the service,
was the bottleneck. This client does one thing — send a request on an idle keep-alive connection
and read a Content-Length (or chunked) response — for well under 100 µs.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any


class HttpError(Exception):
    pass


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        self.writer.close()


class RawHttpClient:
    def __init__(self, url: str, headers: Mapping[str, str], max_connections: int = 256) -> None:
        host_port = url.removeprefix("http://").rstrip("/")
        self.host, _, port = host_port.partition(":")
        self.port = int(port or 80)
        fixed = {"Host": host_port, "Connection": "keep-alive", **headers}
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in fixed.items())
        self._idle: list[_Connection] = []
        self._open = 0
        self._slots = asyncio.Semaphore(max_connections)

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """(status, body). A body that is not bytes is sent as JSON."""
        payload = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\n{self._fixed}"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        message = (head + "\r\n").encode() + payload
        async with self._slots:
            connection = self._idle.pop() if self._idle else await self._connect()
            try:
                connection.writer.write(message)
                status, data, keep = await self._response(connection.reader)
            except BaseException:
                connection.close()
                self._open -= 1
                raise
            if keep:
                self._idle.append(connection)
            else:
                connection.close()
                self._open -= 1
            return status, data

    async def _connect(self) -> _Connection:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self._open += 1
        return _Connection(reader, writer)

    @staticmethod
    async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise HttpError(f"not an HTTP response: {lines[0]!r}")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
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
        else:
            body = b""
        return int(parts[1]), body, headers.get("connection", "").lower() != "close"

    async def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()
