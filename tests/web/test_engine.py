"""The query engine `kg serve` runs beside itself: no thread kept per query, queries cut short
by another query's stop run again, and an engine that dies is started again."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest

from tests.conftest import kg_command, kg_serve, wait_until_responds
from tests.web.test_protocol import FRESH, fetch, query_url
from web.cli import WORKER_STOP_S
from web.engine import engine_pids, free_port


def serve_log(server: str, store: Path) -> Path:
    return store.parent / f"kg-serve-{urlsplit(server).port}.log"


def engine_pid(server: str, store: Path) -> int:
    """The pid of the engine now running: the last one the serving process named in the log
    (when it started or restarted it; the worker's lines name the engine it stopped)."""
    found = re.findall(r"(?:restarted in \S+ s, |engine \S+, )pid (\d+)",
                       serve_log(server, store).read_text(errors="replace"))
    assert found, "kg serve named no engine pid"
    return int(found[-1])


def gone(pid: int) -> bool:
    """Exited and reaped, or a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def running_engine_pid(server: str, store: Path) -> int:
    """The logged pid once it is a live process (a restart is logged a moment after the
    new engine answers)."""
    deadline = time.monotonic() + 10
    while True:
        pid = engine_pid(server, store)
        if not gone(pid) or time.monotonic() > deadline:
            return pid
        time.sleep(0.05)


def threads_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^Threads:\s+(\d+)", status, re.MULTILINE).group(1))  # type: ignore[union-attr]


def cube_count(size: int) -> str:
    values = " ".join(str(i) for i in range(size))
    return (f"SELECT (COUNT(*) AS ?n) {{ VALUES ?x {{ {values} }} VALUES ?y {{ {values} }} "
            f"VALUES ?z {{ {values} }} }}")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_the_engine_keeps_no_thread_per_query(server: str, demo_store_path: Path) -> None:
    """`oxigraph serve --timeout-s` kept a sleeping thread per query for the whole limit and
    died after some 16,000 queries within one; the engine runs without it."""
    pid = running_engine_pid(server, demo_store_path)
    before = threads_of(pid)
    for i in range(300):
        status, _, _ = fetch(query_url(server, f"ASK {{ ?s ?p {i} }}"), headers=FRESH)
        assert status == 200
    assert engine_pid(server, demo_store_path) == pid, "the engine restarted meanwhile"
    assert threads_of(pid) < before + 20


def test_an_engine_that_dies_is_started_again(server: str, demo_store_path: Path) -> None:
    pid = running_engine_pid(server, demo_store_path)
    os.kill(pid, signal.SIGKILL)
    # Sent at once: it waits for the new engine instead of failing.
    status, _, body = fetch(query_url(server, "ASK { ?s ?p ?o } # after a crash"),
                            headers=FRESH)
    assert status == 200 and b"true" in body, body
    # The new engine answers a moment before its restart is logged.
    deadline = time.monotonic() + 10
    while engine_pid(server, demo_store_path) == pid and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine_pid(server, demo_store_path) != pid, "no restart of the engine was logged"


@pytest.fixture(scope="module")
def roomy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`kg serve` with an 8 s limit on a store of the ontologies only: room for a victim that
    ran for a while before the cut to run again within its own limit."""
    store = tmp_path_factory.mktemp("victims") / "store"
    subprocess.run(kg_command("--store", str(store), "load", "ontologies"), check=True,
                   capture_output=True, timeout=120)
    # Victims of about 1 s must finish within the limit even when the runaway and other tests
    # leave them a third of a core: at 4 s, some did not.
    with kg_serve(store, "--query-timeout", "8") as base:
        yield base


def test_queries_cut_by_another_querys_stop_run_again(roomy_server: str) -> None:
    """Stopping a runaway query restarts the engine; the queries it was answering at that
    moment, even ones it had worked on for a while, are sent again and answered."""
    server = roomy_server
    size, took = 60, 0.0
    for _ in range(40):
        started = time.monotonic()
        status, _, body = fetch(query_url(server, cube_count(size)), headers=FRESH)
        took = time.monotonic() - started
        assert status == 200, body
        if took >= 0.7:
            break
        size = int(size * 1.15) + 1
    assert 0.7 <= took < 1.3, f"no victim query of 0.7-1.3 s found ({size}: {took:.2f} s)"
    expected = str(size ** 3).encode()
    victims: list[tuple[float, float, int, bytes]] = []
    done = threading.Event()

    def victim() -> None:
        while not done.is_set() and len(victims) < 40:
            began = time.monotonic()
            status, _, body = fetch(query_url(server, cube_count(size)), headers=FRESH)
            victims.append((began, time.monotonic(), status, body))

    runaway = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } # cuts others"
    started = time.monotonic()
    # Three of them, a third of a run apart: one is well into its run when the engine stops.
    timers = [threading.Timer(2.2 + i * took / 3, victim) for i in range(3)]
    for timer in timers:
        timer.start()
    status, _, body = fetch(query_url(server, runaway), headers=FRESH)
    stopped = time.monotonic()
    done.set()
    for timer in timers:
        timer.join(timeout=30)
    assert status == 503 and b"stopped" in body, body
    assert stopped - started < 15
    assert victims and all(s == 200 and expected in b for _, _, s, b in victims), victims
    # One of them had been answered for over STALE_S (sent again only because it was cut).
    assert any(began < stopped - 0.6 and ended > stopped for began, ended, _, _ in victims)


@pytest.fixture
def small_store(tmp_path: Path) -> Path:
    store = tmp_path / "store"
    subprocess.run(kg_command("--store", str(store), "load", "ontologies"), check=True,
                   capture_output=True, timeout=120)
    return store


@contextlib.contextmanager
def serving_alone(store: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, int]]:
    """`kg serve` in a session of its own (to be signalled as a group): its process, URL and
    engine pid. Whatever is left of it and its engines is killed afterwards."""
    port = free_port()
    pid_file = Path(f"{store}-engine.pid")
    with open(store.parent / f"kg-serve-{port}.log", "wb") as log:
        proc = subprocess.Popen(kg_command("--store", str(store), "serve", "--port", str(port)),
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    engines: list[int] = []
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_responds(base + "/")
        status, _, _ = fetch(query_url(base, "ASK {}"), headers=FRESH)
        assert status == 200
        engines.append(engine_pids(pid_file)[0])
        yield proc, base, engines[0]
    finally:
        # The engine has a session of its own.
        for group in (proc.pid, *engines):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
        proc.wait(timeout=10)


def test_a_signal_to_every_process_stops_the_server_its_worker_and_its_engine(
        small_store: Path) -> None:
    """`pkill -INT -f "kg ... serve"` signals the serving process and then its worker.
    granian's worker, signalled so and again by granian, sometimes waited for ever (1 stop in
    4 here); it is killed after WORKER_STOP_S. A few rounds: the race does not show every
    time."""
    for round_ in range(3):
        with serving_alone(small_store) as (proc, _, engine):
            # The kg processes, as `pkill -f "kg ... serve"` finds them (not the engine, a
            # child too but in a session of its own), signalled one after the other.
            processes = [proc.pid, *(child.pid for child in psutil.Process(proc.pid).children()
                                     if os.getpgid(child.pid) == proc.pid)]
            assert len(processes) == 2, "kg serve runs one worker process"
            started = time.monotonic()
            for pid in processes:
                # The worker may be gone already: stopped by the server, signalled first.
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGINT)
            proc.wait(timeout=WORKER_STOP_S + 10)
            took = time.monotonic() - started
            assert took < WORKER_STOP_S + 5, f"round {round_}: stopping took {took:.1f} s"
            with pytest.raises(ProcessLookupError):
                os.killpg(proc.pid, 0)  # the worker is gone with the server
            assert gone(engine)
            assert not Path(f"{small_store}-engine.pid").exists()


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")
def test_a_start_after_a_kill_stops_the_engine_left_running(small_store: Path) -> None:
    """SIGKILL (or the OOM killer) gives `kg serve` no chance to stop its engine, which holds
    the store's lock; the next `kg serve` on the store stops it and starts."""
    with serving_alone(small_store) as (proc, _, left):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        time.sleep(0.5)
        assert not gone(left), "the engine went with the server: nothing to test"
        with serving_alone(small_store) as (_, base, engine):
            assert engine != left
            assert gone(left)
            status, _, body = fetch(query_url(base, "ASK { ?s ?p ?o }"), headers=FRESH)
            assert status == 200 and b"true" in body


def test_a_running_server_keeps_its_engine_when_another_start_fails(small_store: Path) -> None:
    """Only an engine whose `kg serve` is gone is stopped: a second `kg serve` on a store in
    use fails on the store's lock and leaves the first one serving."""
    with serving_alone(small_store) as (_, base, engine):
        second = subprocess.run(kg_command("--store", str(small_store), "serve", "--port",
                                           str(free_port())),
                                capture_output=True, timeout=60, check=False)
        assert second.returncode != 0
        assert b"LOCK" in second.stdout + second.stderr
        assert not gone(engine)
        status, _, _ = fetch(query_url(base, "ASK {}"), headers=FRESH)
        assert status == 200
