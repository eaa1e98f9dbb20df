"""Write tokens: kept hashed in a file, several allowed, checked in constant time, each with
its scopes and, if given, an expiry.

Tokens are 256-bit random strings, so a plain SHA-256 suffices to keep the file harmless; a
slow password hash would only slow every write down. Scopes: ``admin`` (everything),
``harvest`` (run harvests), ``read`` (read what is not public), ``publisher:<org id>`` (an
organisation's own datasets). A token written before scopes existed is an admin token, as it
was. Every use of a token is logged (name, scopes, method, path, client address).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar, overload

from flask import Response, current_app, request

from graph.change_log import Audit
from graph.publication import Scope, publisher_orgs

F = TypeVar("F", bound=Callable[..., Any])
SCOPE = re.compile(r"admin|harvest|read|publisher:[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class Holder:
    """Who a token belongs to and what it may do."""

    name: str
    scopes: tuple[str, ...]
    expires: datetime | None = None

    @property
    def expired(self) -> bool:
        return self.expires is not None and self.expires <= datetime.now(UTC)

    def allows(self, scope: str) -> bool:
        """Whether the token may try this; ``write`` is what admins and publishers may try
        (what a publisher's write changes is checked afterwards, on the difference)."""
        if scope == "write":
            return "admin" in self.scopes or any(s.startswith("publisher:") for s in self.scopes)
        return "admin" in self.scopes or scope in self.scopes


def check_scopes(scopes: Sequence[str]) -> tuple[str, ...]:
    """The scopes, each checked; ValueError names one that is not a scope."""
    for scope in scopes:
        if not SCOPE.fullmatch(scope):
            raise ValueError(f"{scope!r} is not a scope (admin, harvest, read or "
                             "publisher:<organisation id>)")
    return tuple(dict.fromkeys(scopes)) or ("admin",)


class TokenFile:
    """``{"name": {"sha256": ..., "created": ...}}`` in a JSON file, readable by its owner."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data: dict[str, dict[str, Any]] = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return data

    def _write(self, data: dict[str, dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=2), encoding="utf-8")
        os.chmod(temporary, 0o600)
        temporary.replace(self.path)

    def create(self, name: str, scopes: Sequence[str] = ("admin",),
               expires: datetime | None = None) -> str:
        """A new token for ``name`` (replacing its old one); only its hash is kept."""
        token = secrets.token_urlsafe(32)
        data = self._read()
        data[name] = {"sha256": _digest(token),
                      "created": datetime.now(UTC).replace(microsecond=0).isoformat(),
                      "scopes": list(check_scopes(scopes))}
        if expires is not None:
            data[name]["expires"] = expires.astimezone(UTC).replace(microsecond=0).isoformat()
        self._write(data)
        return token

    def revoke(self, name: str) -> bool:
        data = self._read()
        if name not in data:
            return False
        del data[name]
        self._write(data)
        return True

    def names(self) -> list[str]:
        return sorted(self._read())

    def holders(self) -> list[Holder]:
        return [_holder(name, entry) for name, entry in sorted(self._read().items())]

    def signed_in(self, name: str, digest: str) -> Holder | None:
        """The holder a session names, while its token is the one it signed in with."""
        entry = self._read().get(name)
        if entry is None or not hmac.compare_digest(entry.get("sha256", ""), digest):
            return None
        return _holder(name, entry)

    def holder(self, token: str) -> Holder | None:
        """Whose token this is; every stored hash is compared, in constant time each."""
        digest = _digest(token)
        found = None
        for name, entry in self._read().items():
            if hmac.compare_digest(entry.get("sha256", ""), digest):
                found = _holder(name, entry)
        return found


def _holder(name: str, entry: dict[str, Any]) -> Holder:
    expires = entry.get("expires")
    return Holder(name, tuple(entry.get("scopes") or ("admin",)),
                  datetime.fromisoformat(expires) if expires else None)


def session_key(tokens_file: Path) -> bytes:
    """The key that signs session cookies: kept beside the token file (made on first use),
    so that sessions outlive a restart and every worker signs alike."""
    path = tokens_file.with_name("session-key")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(key)
        return key


def token_digest(token: str) -> str:
    return _digest(token)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@overload
def requires_token(view: F) -> F: ...


@overload
def requires_token(*, scope: str = "admin") -> Callable[[F], F]: ...


def requires_token(view: F | None = None, *, scope: str = "admin") -> F | Callable[[F], F]:
    """Let the request through only with ``Authorization: Bearer <token>`` of a known,
    unexpired holder whose scopes include ``scope`` (401 without one, 403 out of scope)."""

    def decorate(inner: F) -> F:
        @wraps(inner)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            holder = request_holder()
            if holder is None or holder.expired:
                why = (f"the token {holder.name!r} expired on {holder.expires:%Y-%m-%d %H:%M}"
                       f" UTC" if holder else "writes need a bearer token "
                       "(kg token create NAME)")
                return Response(f"{why}\n", status=401, mimetype="text/plain",
                                headers={"WWW-Authenticate": 'Bearer realm="kg"'})
            _log_use(holder, scope)
            if not holder.allows(scope):
                return Response(
                    f"the token {holder.name!r} has the scopes {', '.join(holder.scopes)}; "
                    f"this needs {_needs(scope)}; nothing was changed\n", status=403,
                    mimetype="text/plain")
            return inner(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate(view) if view is not None else decorate


def _needs(scope: str) -> str:
    return "'admin' or 'publisher:<organisation id>'" if scope == "write" else \
        f"{scope!r} (or admin)"


def request_holder() -> Holder | None:
    """The holder of the request's bearer token, if it is one of ours."""
    return holder_of(current_app.extensions["tokens"], request.headers.get("Authorization", ""))


def holder_of(tokens: TokenFile, authorization: str) -> Holder | None:
    """The holder of the bearer token in an ``Authorization`` header, if it is one of ours."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return tokens.holder(token.strip())


def request_reader() -> Holder | None:
    """The holder of the request's token when it is valid (reads are open: a reader with a
    wrong or expired token reads what everybody reads); its use is logged."""
    holder = request_holder()
    if holder is None or holder.expired:
        return None
    _log_use(holder, "read")
    return holder


def audit_of(holder: Holder | None) -> Audit | None:
    """What the change record keeps of who made this request's write."""
    if holder is None:
        return None
    return Audit(holder.name, holder.scopes, request.remote_addr or "",
                 f"{request.method} {request.full_path.rstrip('?')}")


def write_scope(holder: Holder | None) -> Scope | None:
    """The limits of a write by ``holder``: None for an admin (no limits)."""
    if holder is None or "admin" in holder.scopes:
        return None
    return Scope(publisher_orgs(holder.scopes))


def _log_use(holder: Holder, scope: str) -> None:
    # One line per use on the service's log (stderr): who, with which scopes, what, from where.
    print(f"token {holder.name} [{' '.join(holder.scopes)}] {request.method} "
          f"{request.full_path.rstrip('?')} from {request.remote_addr} (needs {scope})",
          file=sys.stderr, flush=True)
