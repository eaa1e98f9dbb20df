"""Conditional GET from the store's change counter, and a bounded cache of query answers."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from flask import Response
from werkzeug.wrappers import Request


def request_etag(revision: int, request: Request) -> str:
    """One validator per store state and representation: the URL and the headers that choose
    the representation go in, so a Turtle answer never validates an HTML one."""
    key = "|".join((str(revision), request.full_path, request.headers.get("Accept", ""),
                    request.headers.get("Accept-Language", ""), request.cookies.get("lang", "")))
    return f'"{revision}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"'


def not_modified(etag: str, request: Request) -> bool:
    """Whether ``If-None-Match`` already holds this representation."""
    held = request.if_none_match
    return held.star_tag or held.contains(etag.strip('"'))


def stamp(response: Response, etag: str, changed_at: datetime | None) -> None:
    response.headers["ETag"] = etag
    if changed_at is not None:
        response.last_modified = changed_at
    response.headers.setdefault("Cache-Control", "public, max-age=0, must-revalidate")


def cacheable(response: Response) -> Response:
    """Mark an answer that depends only on the store's revision (and the request's URL and
    negotiation headers): the front cache keeps it while the revision stands."""
    response.headers["X-Cache"] = "miss"
    return response


@dataclass(frozen=True)
class Cached:
    body: bytes
    content_type: str
    # The whole header list, for the front cache that answers without Flask.
    headers: tuple[tuple[str, str], ...] = ()


class AnswerCache:
    """Least-recently-used answers, bounded in total bytes; an entry names the revision it was
    computed at, so a change to the store makes every older entry unreachable."""

    def __init__(self, max_bytes: int, max_entry: int) -> None:
        self.max_bytes, self.max_entry = max_bytes, max_entry
        self._entries: OrderedDict[tuple[object, ...], Cached] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple[object, ...]) -> Cached | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: tuple[object, ...], value: Cached) -> None:
        if len(value.body) > self.max_entry:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old.body)
            self._entries[key] = value
            self._size += len(value.body)
            while self._size > self.max_bytes and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped.body)

    @property
    def size(self) -> int:
        return self._size
