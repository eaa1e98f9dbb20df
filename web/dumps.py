"""`/dumps/`: the whole store as gzipped files per format, with size and SHA-256.

A set of dumps belongs to one store revision; when the store has changed since, the next
request writes a new set (under a lock, into a fresh folder, then switches), so the files are
always those of the current revision.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    send_file,
    url_for,
)

from graph.results import stream_triples
from graph.store import GraphStore
from web import get_store, store_revision
from web.linked_data import all_datasets, catalogue_document
from web.sparql_query import error

bp = Blueprint("dumps", __name__)

FORMATS = {"nq": ("application/n-quads", "N-Quads (every named graph)"),
           "nt": ("application/n-triples", "N-Triples (the union of the graphs)"),
           "ttl": ("text/turtle", "Turtle (the union of the graphs)"),
           "dcat-ap.ttl": ("text/turtle", "DCAT-AP 3.0.1 (every catalogue, dataset and "
                           "distribution, as /catalog writes them)")}
_LOCK = threading.Lock()


def current_dumps(store: GraphStore, folder: Path, revision: int) -> dict[str, Any]:
    """The manifest of the dumps of ``revision``, the store's current one, writing them if
    needed."""
    manifest_path = folder / "current" / "manifest.json"
    with _LOCK:
        if manifest_path.is_file():
            manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
            if manifest["revision"] == revision:
                return manifest
        fresh = folder / f"r{revision}.partial"
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir(parents=True)
        files = []
        for fmt, (media, title) in FORMATS.items():
            path = fresh / f"kg.{fmt}.gz"
            with gzip.open(path, "wb") as out:
                if fmt == "nq":
                    store.dump(out)  # type: ignore[arg-type]
                elif fmt == "dcat-ap.ttl":
                    document = catalogue_document(store, all_datasets(store))
                    for chunk in stream_triples(document, "ttl"):
                        out.write(chunk)
                else:
                    triples = store.stream_query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
                    for chunk in stream_triples(triples, fmt):  # type: ignore[arg-type]
                        out.write(chunk)
            files.append({"name": path.name, "format": media, "title": title,
                          "bytes": path.stat().st_size, "sha256": _sha256(path)})
        manifest = {"revision": revision,
                    "generated": datetime.now(UTC).replace(microsecond=0).isoformat(),
                    "files": files}
        (fresh / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        current = folder / "current"
        old = folder / "previous"
        shutil.rmtree(old, ignore_errors=True)
        if current.exists():
            current.rename(old)
        fresh.rename(current)
        shutil.rmtree(old, ignore_errors=True)
        return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _folder() -> Path:
    return Path(current_app.config["DUMPS_DIR"])


@bp.route("/dumps/")
def index() -> Response:
    """The dumps with format, size and checksum, as HTML or JSON."""
    manifest = current_dumps(get_store(), _folder(), store_revision())
    for entry in manifest["files"]:
        entry["url"] = url_for("dumps.dump_file", name=entry["name"], _external=True)
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == \
            "application/json" or request.args.get("format") == "json":
        return Response(json.dumps(manifest, indent=2), mimetype="application/json")
    return Response(render_template("dumps/index.html", manifest=manifest),
                    mimetype="text/html")


@bp.route("/dumps/<name>")
def dump_file(name: str) -> Response:
    manifest = current_dumps(get_store(), _folder(), store_revision())
    entry = next((f for f in manifest["files"] if f["name"] == name), None)
    if entry is None:
        return error(404, f"no dump {name}")
    response = send_file((_folder() / "current" / name).resolve(), mimetype="application/gzip",
                         as_attachment=True, download_name=name, conditional=False)
    response.headers["Digest"] = f"sha-256={entry['sha256']}"
    return response
