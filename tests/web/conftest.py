"""A `kg serve` on a store holding only the shipped vocabularies, on disk and on a real
`oxigraph serve` (remote-store mode), with a write token: for suites that clear everything."""

from __future__ import annotations

import subprocess
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import kg_command, kg_serve, start_oxigraph
from tests.web.test_protocol import fetch
from web.auth import TokenFile


class Served:
    """A `kg serve` with only the shipped vocabularies loaded, and a write token."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token

    def auth(self, media: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"}
        return {**headers, "Content-Type": media} if media else headers

    def update(self, text: str, token: bool = True, **params: str) -> tuple[int, Any, bytes]:
        """One update posted directly, its dataset parameters in the URL."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        headers = {"Content-Type": "application/sparql-update"}
        if token:
            headers = self.auth("application/sparql-update")
        return fetch(f"{self.url}/sparql/update{query}", text.encode(), headers)

    def rows(self, text: str) -> list[str]:
        """The values of a one-column SELECT, sorted."""
        _, _, body = fetch(f"{self.url}/sparql?" + urllib.parse.urlencode({"query": text}),
                           headers={"Accept": "text/csv", "Cache-Control": "no-cache"})
        return sorted(body.decode().split()[1:])

    def triples(self, graph: str) -> int:
        count = self.rows(f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        return int(count[0])


def load_ontologies(folder: Path, store: str) -> None:
    """Only the shipped vocabularies: `DROP ALL` must find them there afterwards."""
    subprocess.run(kg_command("--store", store, "load", "ontologies"), check=True,
                   capture_output=True, timeout=120, cwd=folder)


@pytest.fixture(scope="module", params=["disk", "remote"])
def served(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp(f"exact-{request.param}")
    token = TokenFile(folder / "tokens.json").create("exact")
    if request.param == "disk":
        store = str(folder / "store")
        load_ontologies(folder, store)
        with kg_serve(store, "--tokens", str(folder / "tokens.json"), cwd=folder) as url:
            yield Served(url, token)
        return
    proc, remote = start_oxigraph()
    try:
        load_ontologies(folder, remote)
        with kg_serve(remote, "--tokens", str(folder / "tokens.json"), cwd=folder) as url:
            yield Served(url, token)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


