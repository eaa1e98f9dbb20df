"""Token scopes and expiry over real HTTP (`kg serve` on a copy of the demo store): an admin
token writes, a harvest token runs harvests and nothing else, read tokens are refused by
SPARQL Update, the Graph Store and harvest management, publisher tokens anywhere but their
organisation's catalogue (403, nothing changed; tests/web/test_publishing.py has the rest),
an expired token gets 401; every use is logged with who, what and from where; `kg token`
creates and lists them."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from tests.conftest import kg_command, kg_serve
from web.auth import TokenFile

GRAPH = "https://data.vusta.vn/graph/scoped"
INSERT = f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <urn:x:a> <urn:x:p> 'v' }} }}"


class Served:
    def __init__(self, base: str, folder: Path, tokens: dict[str, str]) -> None:
        self.base, self.folder, self.tokens = base, folder, tokens

    def update(self, who: str) -> requests.Response:
        return requests.post(f"{self.base}/sparql/update", data=INSERT.encode(), timeout=60,
                             headers={"Content-Type": "application/sparql-update",
                                      "Authorization": f"Bearer {self.tokens[who]}"})

    def triples(self) -> int:
        answer = requests.get(f"{self.base}/sparql", timeout=30, headers={
            "Accept": "application/sparql-results+json", "Cache-Control": "no-cache"},
            params={"query": f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"})
        return int(answer.json()["results"]["bindings"][0]["n"]["value"])


@pytest.fixture(scope="module")
def served(demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("scopes")
    shutil.copytree(demo_store_path, folder / "store")
    file = TokenFile(folder / "tokens.json")
    tokens = {
        "admin": file.create("portal-team"),
        "harvest": file.create("harvester", ["harvest"]),
        "read": file.create("reader", ["read"]),
        "publisher": file.create("hoi-tin-hoc", ["publisher:hoi-tin-hoc"]),
        "expired": file.create("old", ["admin"], datetime.now(UTC) - timedelta(minutes=1)),
    }
    with kg_serve(folder / "store", "--tokens", str(folder / "tokens.json"),
                  cwd=folder) as base:
        yield Served(base, folder, tokens)


def test_only_admin_writes_through_sparql_update_and_graph_store(served: Served) -> None:
    for who in ("harvest", "read", "publisher"):
        refused = served.update(who)
        assert refused.status_code == 403, who
        assert "nothing was changed" in refused.text
        if who == "publisher":
            assert f"{GRAPH}: out of the token's scope" in refused.text
        else:
            assert "needs 'admin' or 'publisher:<organisation id>'" in refused.text
        put = requests.put(f"{served.base}/graph-store", params={"graph": GRAPH}, timeout=60,
                           data=b"<urn:x:b> <urn:x:p> 'w' .",
                           headers={"Content-Type": "text/turtle",
                                    "Authorization": f"Bearer {served.tokens[who]}"})
        assert put.status_code == 403, who
    assert served.triples() == 0
    expired = served.update("expired")
    assert expired.status_code == 401 and "expired" in expired.text
    assert expired.headers["WWW-Authenticate"].startswith("Bearer")
    assert served.triples() == 0
    assert served.update("admin").status_code in (200, 204)
    assert served.triples() == 1


def test_a_harvest_token_runs_harvests_and_manages_nothing(served: Served) -> None:
    def post(path: str, who: str, body: dict[str, object] | None = None) -> requests.Response:
        return requests.post(f"{served.base}{path}", json=body, timeout=60,
                             headers={"Authorization": f"Bearer {served.tokens[who]}"})

    source = {"id": "scoped", "title": "Scoped", "kind": "dcat", "publisher": "vusta",
              "url": "http://127.0.0.1:9/none.ttl", "allow_private": True}
    # Marking a source as allowed to reach private addresses is the admin's alone.
    assert post("/harvest/sources", "harvest", source).status_code == 403
    assert post("/harvest/sources", "publisher", source).status_code == 403
    assert post("/harvest/sources", "admin", source).status_code == 201
    run = post("/harvest/sources/scoped/run", "harvest")
    assert run.status_code != 403 and run.status_code != 401, run.text
    assert post("/harvest/run", "read").status_code == 403
    remove = requests.delete(f"{served.base}/harvest/sources/scoped", timeout=60,
                             headers={"Authorization": f"Bearer {served.tokens['harvest']}"})
    assert remove.status_code == 403


def test_every_use_is_logged_and_the_cli_lists_scopes(served: Served) -> None:
    served.update("publisher")
    logs = "".join(p.read_text(errors="replace") for p in served.folder.glob("kg-serve-*.log"))
    assert "token hoi-tin-hoc [publisher:hoi-tin-hoc] POST /sparql/update from 127.0.0.1" \
        in logs
    assert "token harvester [harvest] POST /harvest/sources/scoped/run" in logs
    listed = subprocess.run(kg_command("token", "list", "--tokens",
                                       str(served.folder / "tokens.json")),
                            capture_output=True, text=True, timeout=60, check=True).stdout
    lines = dict(line.split("\t", 1) for line in listed.splitlines())
    assert lines["harvester"].startswith("harvest\tno expiry")
    assert lines["old"].endswith("(expired)")
    created = subprocess.run(kg_command("token", "create", "x", "--scope", "colour:red",
                                        "--tokens", str(served.folder / "tokens.json")),
                             capture_output=True, text=True, timeout=60)
    assert created.returncode != 0 and "not a scope" in created.stderr
    stored = json.loads((served.folder / "tokens.json").read_text(encoding="utf-8"))
    assert "x" not in stored and all("sha256" in entry for entry in stored.values())
