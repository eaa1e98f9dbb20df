"""Fixtures: real on-disk stores, the real `kg` CLI, a real server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from graph.embedded import EmbeddedStore
from graph.store import GraphStore
from web.engine import free_port

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
MINI_UNITS = DATA / "admin-units-mini"
SHARED = Path(os.environ.get("KG_SHARED_DATA", ROOT.parent / "shared" / "data"))
SHARED_UNITS = SHARED / "vn-admin-units"
SHARED_DCAT = SHARED / "real-dcat"


def pytest_report_header() -> list[str]:
    found = "found" if SHARED_UNITS.is_dir() else "NOT found: tests marked shared_data are skipped"
    return [f"real data ({SHARED}): {found}"]


@pytest.fixture
def shared_units() -> Path:
    """The official administrative-unit list, or a plain skip saying it is absent."""
    if not SHARED_UNITS.is_dir():
        pytest.skip(f"real data not present at {SHARED_UNITS}; the mini fixture covers this")
    return SHARED_UNITS


@pytest.fixture
def shared_dcat() -> Path:
    if not SHARED_DCAT.is_dir():
        pytest.skip(f"real DCAT catalogues not present at {SHARED_DCAT}")
    return SHARED_DCAT


@pytest.fixture
def store(tmp_path: Path) -> Iterator[GraphStore]:
    """A fresh on-disk store in a temporary folder."""
    opened = EmbeddedStore(tmp_path / "store")
    yield opened
    opened.close()


@pytest.fixture
def reference_store(store: GraphStore) -> GraphStore:
    """An on-disk store holding the shipped vocabularies, as every real store does."""
    from loaders.vocabularies import load_vocabularies

    load_vocabularies(store)
    return store


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def demo_store(runner: CliRunner, tmp_path: Path) -> str:
    """The location of an on-disk store after `kg demo` (the project's province table)."""
    from web.cli import kg

    location = str(tmp_path / "store")
    result = runner.invoke(kg, ["--store", location, "demo"])
    assert result.exit_code == 0, result.output
    return location


def wait_until_responds(url: str, timeout: float = 30.0) -> None:
    """Poll ``url`` until it answers; fail loudly when it never does."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {timeout} s") from None
            time.sleep(0.1)


def kg_command(*args: str) -> list[str]:
    """The installed `kg` command, run by this interpreter."""
    return [sys.executable, "-c", "from web.cli import kg; kg()", *args]


@pytest.fixture(scope="session")
def demo_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An on-disk store with the demo loaded (the project's province table), closed again."""
    path = tmp_path_factory.mktemp("served") / "store"
    subprocess.run(kg_command("--store", str(path), "demo"), check=True, capture_output=True,
                   timeout=120)
    return path


WRITE_TOKEN_FILE = "tokens.json"  # noqa: S105 - a file name


@pytest.fixture(scope="session")
def write_token(demo_store_path: Path) -> str:
    """A token in the served store's token file (only its hash is written)."""
    from web.auth import TokenFile

    return TokenFile(demo_store_path.parent / WRITE_TOKEN_FILE).create("tests")


@pytest.fixture(scope="session")
def server(demo_store_path: Path, write_token: str) -> Iterator[str]:
    """A real `kg serve` (granian + its oxigraph engine) on a free loopback port, with a
    2-second query limit, stopped by its process id."""
    with kg_serve(demo_store_path, "--query-timeout", "2", "--tokens",
                  str(demo_store_path.parent / WRITE_TOKEN_FILE)) as base:
        yield base


@contextlib.contextmanager
def kg_serve(store: Path | str, *options: str, env: dict[str, str] | None = None,
             cwd: Path | None = None) -> Iterator[str]:
    """`kg serve` on ``store`` (a folder, or a SPARQL server's URL) and a free loopback port,
    stopped by its process id."""
    port = free_port()
    folder = cwd or Path(store).parent
    # Its log (and its engine's) stays beside the store, for a failing test to be read.
    with open(folder / f"kg-serve-{port}.log", "wb") as log:
        proc = subprocess.Popen(kg_command("--store", str(store), "serve", "--host",
                                           "127.0.0.1", "--port", str(port), *options),
                                stdout=log, stderr=subprocess.STDOUT, cwd=folder, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_responds(base + "/")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def start_oxigraph(*args: str) -> tuple[subprocess.Popen[bytes], str]:
    """A real `oxigraph serve` (PyPI package `oxigraph`) on a free loopback port."""
    from web.engine import oxigraph_command

    port = free_port()
    proc = subprocess.Popen([*oxigraph_command(), "serve", "--bind", f"127.0.0.1:{port}", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_responds(base + "/")
    except RuntimeError:
        proc.kill()
        raise
    return proc, base


@pytest.fixture
def oxigraph_server() -> Iterator[str]:
    """A fresh in-memory `oxigraph serve`, stopped by its process id afterwards."""
    proc, base = start_oxigraph()
    yield base
    proc.terminate()
    proc.wait(timeout=10)



ARTIFACTS = ROOT / "tests" / "artifacts"
HOSTILE = "<script>window.pwned=1</script>"


@pytest.fixture(scope="session")
def front_end_assets() -> Path | None:
    """Leaflet and YASGUI fetched from the npm registry once (`kg assets`), or None when npm
    cannot fetch them (the pages then use their no-JavaScript fallbacks)."""
    from web.assets import AssetError, fetch_assets, missing

    target = ARTIFACTS / "assets"
    if not missing(target):
        return target
    staging = ARTIFACTS / f"assets-{os.getpid()}"
    try:
        fetch_assets(staging)
    except AssetError:
        return None
    # Another worker may have got there first: its copy is the same pinned files.
    with contextlib.suppress(OSError):
        staging.rename(target)
    return target if target.is_dir() else staging


def hostile_catalog(folder: Path) -> Path:
    """A one-dataset catalogue whose Vietnamese title carries a script tag: every page must
    show it as text."""
    import csv as csv_module
    from importlib.resources import files

    from graph.namespaces import unit_iri
    from loaders.demo_catalog import write_catalog

    orgs = (files("loaders.data") / "demo-organisations.csv").read_text(encoding="utf-8")
    publisher = next(csv_module.DictReader(orgs.splitlines()))["id"]
    raw = folder / "generated.nt"
    write_catalog(raw, 1, [publisher], [unit_iri("2025", "province", "01")], seed=7)
    text = raw.read_text(encoding="utf-8").replace("ds-000", "ds-xss-")
    text = text.replace('"Số liệu ', f'"{HOSTILE} Số liệu ')
    path = folder / "hostile.nt"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def browse_server(tmp_path_factory: pytest.TempPathFactory,
                  front_end_assets: Path | None) -> Iterator[str]:
    """`kg serve` on a demo store plus a dataset with a hostile title, with the front-end
    assets when they could be fetched and a tile server that cannot answer (maps must stay
    useful without tiles)."""
    folder = tmp_path_factory.mktemp("browse")
    store = folder / "store"
    subprocess.run(kg_command("--store", str(store), "demo"), check=True, capture_output=True,
                   timeout=180)
    subprocess.run(kg_command("--store", str(store), "load", "catalog",
                              str(hostile_catalog(folder))),
                   check=True, capture_output=True, timeout=120)
    env = {**os.environ, "KG_TILE_URL": "http://127.0.0.1:9/{z}/{x}/{y}.png",
           "KG_ASSETS_DIR": str(front_end_assets or folder / "no-assets")}
    with kg_serve(store, "--query-timeout", "10", env=env) as base:
        yield base
