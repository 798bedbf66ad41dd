"""A minimal HTTP/1.1 client for the embedded engine: the loopback Oxigraph that we start.

Why not :mod:`http.client`: for a cheap query its Python work was a third of a worker's CPU
(the request head and body sent with two ``sendall`` calls, the response head parsed by the
:mod:`email` package).  This client speaks only what Oxigraph's server answers a query with:
a status line, a few headers and a body framed by ``content-length`` (errors, ASK) or
``transfer-encoding: chunked`` (streamed results).  External stores keep :mod:`http.client`
through :class:`~aifactories.store.SparqlStore`: they may be HTTPS, behind proxies, anything.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from typing import BinaryIO, NoReturn

from .store import EngineResponse, SparqlStore

#: Longest status, header or chunk-size line we accept (Oxigraph's are a few dozen bytes).
MAX_LINE_BYTES = 65536
MAX_HEADERS = 100
#: The socket reader's buffer, and the largest piece of a sized body read at once.
READ_BYTES = 65536
#: Statuses whose responses never have a body.
BODILESS = (204, 304)


class ProtocolError(OSError):
    """The engine's answer is not HTTP/1.1 as we read it (never expected from Oxigraph).

    An :class:`OSError`, so that callers treat it like any other broken connection.
    """


class LoopbackConnection:
    """One keep-alive TCP connection to the engine, used by one thread at a time."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self._sock = socket.create_connection((host, port), timeout)
        # The whole request goes in one sendall: nothing for Nagle's algorithm to wait for.
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._file = self._sock.makefile("rb", READ_BYTES)
        #: Whether it may carry the next request: open, and no response left unread.
        self.idle = True

    def exchange(self, request: bytes) -> tuple[int, LoopbackResponse]:
        """Send ``request`` (head and body) and read the response head; the body streams."""
        self.idle = False
        self._sock.sendall(request)
        status, headers = read_head(self._file)
        pieces, keep_alive = body_pieces(self._file, status, headers)
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        return status, LoopbackResponse(self, pieces, content_type, keep_alive)

    def usable(self) -> bool:
        """Whether it may carry the next request: idle, and not given up by the engine.

        An idle connection has nothing to read, but Oxigraph answers one left idle past its
        ``--timeout-s`` with an unsolicited 500 (EAGAIN) and closes it: reading that as the
        next request's answer would be wrong.  (http.client noticed only by luck: its second
        ``sendall`` failed on the closed connection.)
        """
        if not self.idle:
            return False
        readable, _, _ = select.select([self._sock], [], [], 0)
        return not readable

    def release(self, keep_alive: bool) -> None:
        """A response was read to its end: take the next request, or close."""
        if keep_alive:
            self.idle = True
        else:
            self.close()

    def close(self) -> None:
        self.idle = False
        self._file.close()
        self._sock.close()


def read_head(file: BinaryIO) -> tuple[int, dict[bytes, bytes]]:
    """The status code and the headers (names in lower case) of a response."""
    line = file.readline(MAX_LINE_BYTES)
    if not line:  # a kept-alive connection the engine closed (or a dead engine)
        raise ConnectionResetError("the query engine closed the connection without answering")
    parts = line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"not an HTTP/1.1 status line: {line[:100]!r}")
    headers: dict[bytes, bytes] = {}
    for _ in range(MAX_HEADERS):
        line = file.readline(MAX_LINE_BYTES)
        if line in (b"\r\n", b"\n"):
            return int(parts[1]), headers
        name, colon, value = line.partition(b":")
        if not colon or not line.endswith(b"\n"):
            raise ProtocolError(f"not a header line: {line[:100]!r}")
        headers[name.strip().lower()] = value.strip()
    raise ProtocolError(f"more than {MAX_HEADERS} header lines")


def body_pieces(
    file: BinaryIO, status: int, headers: dict[bytes, bytes]
) -> tuple[Iterator[bytes], bool]:
    """The body's pieces as its framing delivers them, and whether the connection stays open
    after it (RFC 9112 section 6.3)."""
    keep_alive = headers.get(b"connection", b"").lower() != b"close"
    if status in BODILESS:
        return iter(()), keep_alive
    if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
        return chunked_pieces(file), keep_alive
    length = headers.get(b"content-length")
    if length is None:
        return pieces_until_close(file), False
    if not length.isdigit():
        raise ProtocolError(f"bad content-length: {length[:100]!r}")
    return sized_pieces(file, int(length)), keep_alive


def chunked_pieces(file: BinaryIO) -> Iterator[bytes]:
    """The data of each chunk of a ``transfer-encoding: chunked`` body, up to the last one."""
    while True:
        line = file.readline(MAX_LINE_BYTES)
        size = line.split(b";", 1)[0].strip()
        try:
            length = int(size, 16)
        except ValueError:
            _raise_broken_off(line, "chunk size")
        if length == 0:
            break
        data = file.read(length)
        end = file.readline(MAX_LINE_BYTES)
        if len(data) < length or end.strip():
            _raise_broken_off(end, "chunk end")
        yield data
    while (line := file.readline(MAX_LINE_BYTES)) not in (b"\r\n", b"\n"):  # trailers
        if not line:
            _raise_broken_off(line, "trailer")


def sized_pieces(file: BinaryIO, length: int) -> Iterator[bytes]:
    """A ``content-length`` body, in pieces of what has arrived (not all of it at once)."""
    while length > 0:
        data = file.read1(min(length, READ_BYTES))
        if not data:
            _raise_broken_off(data, "body")
        length -= len(data)
        yield data


def pieces_until_close(file: BinaryIO) -> Iterator[bytes]:
    """A body delimited by the end of the connection."""
    while data := file.read1(READ_BYTES):
        yield data


def _raise_broken_off(line: bytes, where: str) -> NoReturn:
    if not line:
        raise ConnectionResetError("the query engine broke off its answer")
    raise ProtocolError(f"bad {where} in the engine's answer: {line[:100]!r}")


class LoopbackResponse:
    """An :class:`~aifactories.store.EngineResponse` over a :class:`LoopbackConnection`."""

    def __init__(
        self,
        connection: LoopbackConnection,
        pieces: Iterator[bytes],
        content_type: str,
        keep_alive: bool,
    ) -> None:
        self.content_type = content_type
        self._connection = connection
        self._pieces = pieces
        self._keep_alive = keep_alive
        self._buffer = b""
        self._start = 0  # where the unread part of _buffer begins
        self._done = False

    def _more(self) -> bytes:
        """The next piece of the body; b"" at its end, when the connection is released."""
        if self._done:
            return b""
        try:
            piece = next(self._pieces, b"")
        except BaseException:  # the connection is in an unknown state: never reuse it
            self._done = True
            self._connection.close()
            raise
        if not piece:
            self._done = True
            self._connection.release(self._keep_alive)
        return piece

    def readline(self) -> bytes:
        """The next line with its ``\\n`` (the last may have none); b"" at the end."""
        while True:
            end = self._buffer.find(b"\n", self._start)
            if end >= 0:
                line = self._buffer[self._start : end + 1]
                self._start = end + 1
                return line
            rest = self._buffer[self._start :]
            piece = self._more()
            self._buffer, self._start = rest + piece, 0
            if not piece:
                self._buffer = b""
                return rest

    def read(self) -> bytes:
        """The rest of the body."""
        pieces = [self._buffer[self._start :]]
        while piece := self._more():
            pieces.append(piece)
        self._buffer, self._start = b"", 0
        return b"".join(pieces)

    def close(self, reusable: bool = True) -> None:
        """Done with it: drain the rest to reuse the connection, or (``reusable=False``, a
        stream cut short) drop the connection so the engine stops streaming."""
        if self._done:
            return
        if not reusable:
            self._done = True
            self._connection.close()
            return
        try:
            while self._more():
                pass
        except OSError:
            pass  # _more has closed the connection


class LoopbackStore(SparqlStore):
    """A :class:`SparqlStore` for the embedded engine, over :class:`LoopbackConnection`.

    Everything but the round trip (request bodies, retries, error mapping, admission) is
    :class:`SparqlStore`'s.
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        if self._parts.scheme != "http":
            raise ValueError(f"the loopback client speaks plain http only: {self.query_url!r}")

    def _exchange(
        self, path: str, body: bytes, headers: dict[str, str], deadline: float
    ) -> tuple[int, EngineResponse]:
        conn: LoopbackConnection | None = getattr(self._local, "conn", None)
        if conn is None or not conn.usable():
            if conn is not None:  # a response left unread, or closed by the engine
                conn.close()
            self._local.conn = None
            self._wait_until_ready(deadline)
            conn = self._local.conn = LoopbackConnection(
                self._parts.hostname, self._parts.port or 80, self.timeout + self.grace
            )
        fields = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self._parts.netloc}\r\n{fields}"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return conn.exchange(head.encode("latin-1") + body)
