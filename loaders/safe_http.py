"""Bounded, guarded HTTP GETs for harvesting other portals.

Only http(s); every host (and every redirect's host) is resolved first and refused when any of
its addresses is loopback, link-local, private or otherwise not global, unless the source is
marked as allowed by the admin; a per-request timeout, a total size cap and a redirect cap.
Conditional requests (ETag / Last-Modified) let an unchanged source be skipped.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import IO

from loaders.errors import LoadError, Problem

USER_AGENT = "vusta-kg-harvester/0.1 (+https://data.vusta.vn/)"
# Bodies up to this size stay in memory; bigger ones go to a temporary file.
SPOOL_BYTES = 16 * 2**20
READ_BYTES = 2**20


@dataclass(frozen=True)
class Limits:
    """How far one harvest may go."""

    timeout: float = 30.0          # seconds per request
    max_bytes: int = 200_000_000   # in total, over every page
    max_pages: int = 1_000
    max_redirects: int = 5
    allow_private: bool = False    # the admin's mark for sources on private addresses


@dataclass
class Fetched:
    """One answer: status, headers (lower-case names), body, and how long it took. The body
    is kept in memory up to ``SPOOL_BYTES`` and in a temporary file beyond: a source of
    hundreds of megabytes is read from there as a stream (``content``), not held twice."""

    url: str
    status: int
    headers: dict[str, str]
    content: IO[bytes]
    seconds: float
    # The body's length, which the harvest log keeps when the body itself has been let go.
    size: int

    @property
    def body(self) -> bytes:
        """The whole body."""
        self.content.seek(0)
        return self.content.read()

    def stream(self) -> IO[bytes]:
        """The body, read from its start."""
        self.content.seek(0)
        return self.content

    def head(self, count: int) -> bytes:
        """The body's first ``count`` bytes."""
        self.content.seek(0)
        return self.content.read(count)

    def release(self) -> None:
        """Let the body go (the answer stays in the log for its status, size and timing)."""
        self.content.close()

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass
class Budget:
    """What a harvest has spent so far, against its limits."""

    limits: Limits
    bytes_read: int = 0
    pages: int = 0
    log: list[Fetched] = field(default_factory=list)


class FetchError(LoadError):
    """A page could not be fetched within the limits (the message says which and why)."""


def _refuse(url: str, why: str) -> FetchError:
    return FetchError([Problem(url, why)])


def check_address(url: str, allow_private: bool) -> urllib.parse.SplitResult:
    """The URL's parts, when its scheme is http(s) and its host resolves only to addresses a
    harvest may reach."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _refuse(url, "only http:// and https:// URLs can be harvested")
    if allow_private:
        return parts
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise _refuse(url, f"cannot resolve {parts.hostname}: {error}") from error
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise _refuse(url, f"{parts.hostname} is {address}, a loopback, link-local or "
                               "private address: an admin must mark the source as allowed")
    return parts


def fetch(url: str, budget: Budget, *, accept: str = "*/*",
          conditional: dict[str, str] | None = None) -> Fetched:
    """GET ``url`` within ``budget``; a 304 comes back as it is, other non-2xx are errors."""
    limits = budget.limits
    if budget.pages >= limits.max_pages:
        raise _refuse(url, f"more than {limits.max_pages} pages: the page cap is reached")
    budget.pages += 1
    headers = {"Accept": accept, "User-Agent": USER_AGENT, "Accept-Encoding": "identity",
               **(conditional or {})}
    started = time.monotonic()
    current = url
    for _ in range(limits.max_redirects + 1):
        parts = check_address(current, limits.allow_private)
        answer = _get(parts, headers, budget, current)
        if answer.status in (301, 302, 303, 307, 308) and "location" in answer.headers:
            current = urllib.parse.urljoin(current, answer.headers["location"])
            continue
        answer.seconds = time.monotonic() - started
        answer.url = current
        budget.log.append(answer)
        if answer.status == 304:
            return answer
        if not 200 <= answer.status < 300:
            raise _refuse(current, f"HTTP {answer.status}")
        return answer
    raise _refuse(url, f"more than {limits.max_redirects} redirects")


def _get(parts: urllib.parse.SplitResult, headers: dict[str, str], budget: Budget,
         url: str) -> Fetched:
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = cls(parts.hostname or "", parts.port, timeout=budget.limits.timeout)
    path = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        room = budget.limits.max_bytes - budget.bytes_read
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned
        size = 0
        while chunk := response.read(min(READ_BYTES, room + 1 - size)):
            size += len(chunk)
            if size > room:
                body.close()
                raise _refuse(url, f"the source is larger than {budget.limits.max_bytes} bytes")
            body.write(chunk)
        budget.bytes_read += size
        found = {name.lower(): value for name, value in response.getheaders()}
        return Fetched(url, response.status, found, body, 0.0, size)
    except (OSError, http.client.HTTPException) as error:
        raise _refuse(url, f"cannot fetch: {error}") from error
    finally:
        connection.close()
