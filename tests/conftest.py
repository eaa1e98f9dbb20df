"""Fixtures: real on-disk stores, the real `kg` CLI, a real server on 127.0.0.1."""

from __future__ import annotations

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
    from loaders.demo import load_vocabularies

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
    """A real `kg serve` (waitress + its oxigraph engine) on a free loopback port, with a
    2-second query limit, stopped by its process id."""
    port = free_port()
    proc = subprocess.Popen(kg_command("--store", str(demo_store_path), "serve",
                                       "--host", "127.0.0.1", "--port", str(port),
                                       "--query-timeout", "2", "--tokens",
                                       str(demo_store_path.parent / WRITE_TOKEN_FILE)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=demo_store_path.parent)
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

