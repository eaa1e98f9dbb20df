"""Write tokens: kept hashed in a file, several allowed, checked in constant time.

Tokens are 256-bit random strings, so a plain SHA-256 suffices to keep the file harmless; a
slow password hash would only slow every write down.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from flask import Response, current_app, request

F = TypeVar("F", bound=Callable[..., Any])


class TokenFile:
    """``{"name": {"sha256": ..., "created": ...}}`` in a JSON file, readable by its owner."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            data: dict[str, dict[str, str]] = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return data

    def _write(self, data: dict[str, dict[str, str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=2), encoding="utf-8")
        os.chmod(temporary, 0o600)
        temporary.replace(self.path)

    def create(self, name: str) -> str:
        """A new token for ``name`` (replacing its old one); only its hash is kept."""
        token = secrets.token_urlsafe(32)
        data = self._read()
        data[name] = {"sha256": _digest(token),
                      "created": datetime.now(UTC).replace(microsecond=0).isoformat()}
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

    def holder(self, token: str) -> str | None:
        """Whose token this is; every stored hash is compared, in constant time each."""
        digest = _digest(token)
        found = None
        for name, entry in self._read().items():
            if hmac.compare_digest(entry.get("sha256", ""), digest):
                found = name
        return found


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def requires_token(view: F) -> F:
    """Let the request through only with ``Authorization: Bearer <token>`` of a known holder."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        tokens: TokenFile = current_app.extensions["tokens"]
        if scheme.lower() != "bearer" or not token.strip() or tokens.holder(token.strip()) is None:
            return Response("writes need a bearer token (kg token create NAME)\n", status=401,
                            mimetype="text/plain",
                            headers={"WWW-Authenticate": 'Bearer realm="kg"'})
        return view(*args, **kwargs)

    return guarded  # type: ignore[return-value]
