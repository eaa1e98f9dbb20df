"""Keep-alive HTTP/1.1 connections to a SPARQL server, responses parsed by llhttp.

Why not ``http.client``: every query answer went through it, and it parses the response head
with the ``email`` package and undoes the chunked encoding in Python. Measured on a 12 KB
lookup against a local `oxigraph serve`: 163 µs of CPU per query with ``http.client``, 58 µs
here; the web worker spent about 430 µs on the whole request, so a quarter of it was the
client (uncached lookups at 16 connections went from 1.5k to 2.1k per second). llhttp (Node's
parser, through ``httptools``) does the parsing in C; what is left is a ``sendall`` per request
and a ``recv`` per arrival.

The failures raised are ``http.client``'s (``RemoteDisconnected``, ``IncompleteRead``,
``HTTPException``) and ``OSError``, so that callers handle one family whatever the client.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from urllib.parse import urlsplit

import httptools

RECEIVE = 1 << 16


class StreamConnection:
    """One connection to the server of ``url`` (http or https), opened on ``connect`` and
    reused for one request after another while the server keeps it alive."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        self._tls = parts.scheme == "https"
        self._address = (parts.hostname or "localhost", parts.port or (443 if self._tls else 80))
        try:
            self._host = parts.netloc.encode("ascii")
        except UnicodeEncodeError:
            self._host = parts.netloc.encode("idna")
        self._timeout = timeout
        self.sock: socket.socket | None = None
        self._last: StreamResponse | None = None

    def connect(self) -> None:
        sock = socket.create_connection(self._address, self._timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._tls:
            sock = ssl.create_default_context().wrap_socket(
                sock, server_hostname=self._address[0])
        self.sock = sock

    def request(self, method: str, target: str, body: bytes | Iterable[bytes] | None,
                headers: Mapping[str, str]) -> None:
        """Send a request; a body that is not bytes goes in chunks as it is iterated."""
        if method == "HEAD":
            raise ValueError("HEAD is not supported: its response would be read for a body")
        if self._last is not None and not self._last.reusable:
            # Unread or closing: the next response could not be told from its rest.
            self.close()
        if self.sock is None:
            self.connect()
        lines = [f"{method} {target} HTTP/1.1".encode("ascii"), b"Host: " + self._host,
                 *(f"{name}: {value}".encode("latin-1") for name, value in headers.items())]
        if isinstance(body, bytes):
            lines.append(b"Content-Length: %d" % len(body))
        elif body is not None:
            lines.append(b"Transfer-Encoding: chunked")
        elif method in ("POST", "PUT", "PATCH"):
            lines.append(b"Content-Length: 0")
        lines += [b"", b""]
        head = b"\r\n".join(lines)
        sock = self._socket()
        if body is None or isinstance(body, bytes):
            # One write: head and body leave in as few packets as the kernel can make.
            sock.sendall(head + (body or b""))
            return
        sock.sendall(head)
        for chunk in body:
            if chunk:
                sock.sendall(b"%x\r\n%b\r\n" % (len(chunk), chunk))
        sock.sendall(b"0\r\n\r\n")

    def getresponse(self) -> StreamResponse:
        self._last = StreamResponse(self._socket())
        self._last.read_head()
        return self._last

    def close(self) -> None:
        sock, self.sock, self._last = self.sock, None, None
        if sock is not None:
            sock.close()

    def _socket(self) -> socket.socket:
        if self.sock is None:
            raise http.client.NotConnected("the connection is closed")
        return self.sock


class StreamResponse:
    """A response read as it arrives: the head on ``read_head``, the body by ``pieces``
    (each what one arrival carried), ``readinto`` or ``read``."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._parser = httptools.HttpResponseParser(self)
        self._headers: dict[str, str] = {}
        self._body: deque[bytes] = deque()
        self._head_done = self._done = False
        self._eof = False
        self.status = 0
        self.will_close = False

    # -- llhttp's callbacks ------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self._head_done = True
        self.status = self._parser.get_status_code()
        self.will_close = not self._parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._done = True

    # -- reading -----------------------------------------------------------------------------

    @property
    def reusable(self) -> bool:
        """Read to its end, on a connection the server keeps open."""
        return self._done and not self.will_close

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return self._headers.get(name.lower(), default)

    def read_head(self) -> None:
        while not self._head_done:
            if not self._receive():
                raise http.client.RemoteDisconnected(
                    "the server closed the connection without an answer")

    def pieces(self) -> Iterator[bytes]:
        """The body as it arrives, the pieces of one arrival joined."""
        while True:
            if self._body:
                piece = self._body[0] if len(self._body) == 1 else b"".join(self._body)
                self._body.clear()
                yield piece
            if not self._more():
                return

    def readinto(self, buffer: memoryview | bytearray) -> int:
        view = memoryview(buffer).cast("B")
        while not self._body:
            if not self._more():
                return 0
        piece = self._body.popleft()
        count = min(len(piece), len(view))
        view[:count] = piece[:count]
        if count < len(piece):
            self._body.appendleft(piece[count:])
        return count

    def read(self) -> bytes:
        return b"".join(self.pieces())

    def _more(self) -> bool:
        """Receive more of the body; False once all of it is in."""
        if self._done:
            return False
        if self._receive():
            return True
        # HTTP/1.1 lets a body without a length or chunks end where the connection does.
        if (self._head_done and "content-length" not in self._headers
                and "chunked" not in self._headers.get("transfer-encoding", "").lower()):
            self._done = self.will_close = True
            return False
        raise http.client.IncompleteRead(b"")

    def _receive(self) -> bool:
        """Feed the parser what the socket has next; False at the end of the stream."""
        if self._eof:
            return False
        data = self._sock.recv(RECEIVE)
        if not data:
            self._eof = True
            return False
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            raise http.client.HTTPException(f"the server's answer is not HTTP: {error}"
                                            ) from error
        return True
