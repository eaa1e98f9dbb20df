"""Small real HTTP servers on 127.0.0.1 that answer as harvest sources do: a CKAN 2.10 Action
API (``package_search`` as CKAN documents its shape, with messy real-world values) and a
static site of paged DCAT documents, each with ETag / If-None-Match."""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Site:
    """What the servers answer: CKAN packages, and files by path (body, content type)."""

    packages: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def etag(self, body: bytes) -> str:
        return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


def _handler(site: Site) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            site.requests.append((self.path, dict(self.headers.items())))
            parts = urllib.parse.urlsplit(self.path)
            if parts.path == "/api/3/action/package_search":
                query = urllib.parse.parse_qs(parts.query)
                start, rows = int(query["start"][0]), int(query["rows"][0])
                chosen = site.packages[start:start + rows]
                body = json.dumps({"help": "http://127.0.0.1/api/3/action/help_show?name="
                                           "package_search", "success": True,
                                   "result": {"count": len(site.packages), "sort": "id asc",
                                              "facets": {}, "results": chosen,
                                              "search_facets": {}}}).encode()
                whole = json.dumps(site.packages).encode()
                self._send(body, "application/json;charset=utf-8", site.etag(whole))
                return
            if parts.path == "/api/3/action/license_list":
                # CKAN's shape (ckan.logic.action.get.license_list), with a licence of the
                # portal's own naming.
                body = json.dumps({"success": True, "result": [
                    {"id": "cc-by", "title": "Creative Commons Attribution",
                     "url": "http://www.opendefinition.org/licenses/cc-by"},
                    {"id": "giay-phep-mo-vn", "title": "Giấy phép mở (CC BY 4.0)",
                     "url": "https://creativecommons.org/licenses/by/4.0/"}]}).encode()
                self._send(body, "application/json", site.etag(body))
                return
            if parts.path.startswith("/redirect/"):
                self.send_response(302)
                self.send_header("Location", parts.path.removeprefix("/redirect"))
                self.end_headers()
                return
            found = site.files.get(parts.path)
            if found is None:
                self.send_error(404)
                return
            if found[1] == "error":
                self.send_error(500, "broken")
                return
            self._send(found[0], found[1], site.etag(found[0]))

        def _send(self, body: bytes, media: str, etag: str) -> None:
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", media)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextlib.contextmanager
def serving(site: Site) -> Iterator[str]:
    """The site on a free loopback port, stopped afterwards."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def package(number: int, **changes: Any) -> dict[str, Any]:
    """A CKAN package as a member association's portal writes it."""
    base: dict[str, Any] = {
        "id": f"0000000{number}-aaaa-4bbb-8ccc-00000000000{number}",
        "name": f"so-lieu-{number}", "title": f"Số liệu quan trắc {number}",
        "notes": f"Số liệu quan trắc môi trường năm 202{number}.",
        "license_id": "cc-by", "license_title": "Creative Commons Attribution",
        "metadata_created": "2024-01-0{n}T08:00:00.123456".replace("{n}", str(number)),
        "metadata_modified": "2025-02-0{n}T09:30:00".replace("{n}", str(number)),
        "organization": {"name": "hoi-moi-truong", "title": "Hội Môi trường"},
        "tags": [{"name": "môi trường"}, {"name": "quan trac"}],
        "groups": [{"name": "environment", "title": "Môi trường"}],
        "extras": [{"key": "spatial_text", "value": "Ha Noi"},
                   {"key": "temporal_start", "value": "2023-01-01"},
                   {"key": "temporal_end", "value": "2023-12-31"},
                   {"key": "contact_name", "value": "Nguyễn Văn A"},
                   {"key": "contact_email", "value": "a@example.org"}],
        "resources": [{"id": f"r{number}", "url": f"https://files.example.org/{number}.csv",
                       "format": "csv", "name": "Bảng số liệu", "mimetype": "text/csv",
                       "size": 1024, "created": "2024-01-01T08:00:00"}],
        "author": "", "maintainer": None, "url": "",
    }
    base.update(changes)
    return base
