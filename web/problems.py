"""Errors of the JSON APIs as RFC 9457 problem details (``application/problem+json``)."""

from __future__ import annotations

import json

from flask import Response


def problem(status: int, title: str, detail: str) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/problem+json")
