"""The query engine that `kg serve` runs beside itself: `oxigraph serve` on the same store.

Why: pyoxigraph cannot stop a query once started (FACTS.md); a process can be stopped. The
web app reaches the store only through ``RemoteStore``, so a runaway query costs a restart
of the engine (0.1 s), not a core for ever.

Why not `oxigraph serve --timeout-s`: it starts a thread per query that sleeps for the whole
time limit. Measured here: trivial queries at 5.7k/s with it against 34k/s without, and after
about 16,000 queries within one time limit the process runs out of memory maps
(vm.max_map_count) and dies. Its limit is also checked only between steps of a query.
"""

from __future__ import annotations

import heapq
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from graph.processes import alive
from graph.remote import RETRY_S

RESTART_SPACING_S = 1.0

def oxigraph_command() -> list[str]:
    """The `oxigraph` program of this environment (the PyPI package `oxigraph` ships it)."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("oxigraph")
    if found is None:
        raise RuntimeError("the `oxigraph` program is not installed (pip install oxigraph)")
    return [found]


def free_port() -> int:
    """A port nobody listens on at the moment, on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_group(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Stop a process started with ``start_new_session`` and everything it started: TERM,
    then KILL when it has not gone within ``timeout`` seconds."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Engine:
    """`oxigraph serve` on one store and one loopback port, started again whenever it dies.

    The web app stops a query past its time limit by killing the engine (``EngineControl``);
    a thread here waits on the process and starts it again on the same store and port
    (RocksDB keeps every committed transaction; staging graphs of a load it cut are removed
    when the store is next opened). The current pid is kept in ``pid_file`` for the app.
    """

    def __init__(self, location: Path, pid_file: Path) -> None:
        self.location, self.pid_file = location, pid_file
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._started_at = 0.0
        self._stopping = False
        self.restarts = 0

    def start(self) -> None:
        command = [*oxigraph_command(), "serve", "--location", str(self.location),
                   "--bind", f"127.0.0.1:{self.port}"]
        # Its log goes where ours goes; a pipe nobody reads would stall it once full.
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL,  # noqa: S603
                                start_new_session=True)
        _wait(proc, self.url)
        self._proc, self._started_at = proc, time.monotonic()
        # Replaced whole, so that the app never reads half a number. The second number is
        # the serving process: a later start can tell an engine left by a killed one. The
        # third, how often it was started again, is for the worker's /metrics.
        written = self.pid_file.with_name(self.pid_file.name + ".new")
        written.write_text(f"{proc.pid} {os.getpid()} {self.restarts}\n")
        os.replace(written, self.pid_file)
        threading.Thread(target=self._supervise, args=(proc,), name="engine-supervisor",
                         daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            proc = self._proc
        if proc is not None:
            stop_group(proc)
        self.pid_file.unlink(missing_ok=True)

    def _supervise(self, proc: subprocess.Popen[bytes]) -> None:
        code = proc.wait()
        if time.monotonic() - self._started_at < RESTART_SPACING_S:
            # One that dies at once on every start would otherwise be restarted in a loop.
            time.sleep(RESTART_SPACING_S)
        with self._lock:
            if self._proc is not proc or self._stopping:
                return
            began = time.monotonic()
            self._proc = None
            self.restarts += 1
            try:
                self.start()
            except RuntimeError as failed:
                print(f"query engine exited (status {code}) and could not be started again: "
                      f"{failed}", file=sys.stderr, flush=True)
                return
            print(f"query engine exited (status {code}); restarted in "
                  f"{time.monotonic() - began:.2f} s, pid {self.pid()}", file=sys.stderr,
                  flush=True)

    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None


def engine_pids(pid_file: Path) -> tuple[int, int]:
    """The engine's pid and its serving process's, as ``Engine.start`` wrote them."""
    engine_pid, server_pid = pid_file.read_text().split()[:2]
    return int(engine_pid), int(server_pid)


def engine_restarts(pid_file: Path) -> int:
    """How often the serving process started its engine again (it died or was stopped)."""
    fields = pid_file.read_text().split()
    return int(fields[2]) if len(fields) > 2 else 0


class EngineControl:
    """What the web app may do to the engine another process runs: stop it, with the query
    that outlived its limit (that process starts it again)."""

    def __init__(self, pid_file: Path) -> None:
        self.pid_file = pid_file
        # Bumped before the engine is stopped: a query that failed while it changed was cut
        # short by someone else's stop, and may run again.
        self.generation = 0
        self._stopped: int | None = None
        self._watcher = Watcher(self.stop_query)

    def watch(self, seconds: float) -> Watch:
        """Stop the engine's queries (``stop_query``) unless cancelled within ``seconds``."""
        return self._watcher.watch(seconds)

    def stop_query(self) -> None:
        try:
            pid = self._pid()
            self._stopped = pid
            self.generation += 1
            os.killpg(pid, signal.SIGKILL)
        except (OSError, ValueError) as failed:
            print(f"could not stop the query engine: {failed}", file=sys.stderr, flush=True)
            return
        print(f"query engine (pid {pid}) stopped for a query past its time limit",
              file=sys.stderr, flush=True)

    def ready(self, limit: float = RETRY_S) -> None:
        """Wait, up to ``limit`` seconds, for an engine stopped here to be started again.

        Why: a dying engine's listening socket still takes connections for a moment, and
        resets them; the serving process writes the new pid only once the new engine answers.
        """
        stopped = self._stopped
        if stopped is None:
            return
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                if self._pid() != stopped:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        if self._stopped == stopped:
            self._stopped = None

    def _pid(self) -> int:
        return engine_pids(self.pid_file)[0]

    def status(self) -> dict[str, object]:
        """The engine's pid and restarts as the pid file tells them (for /health, /metrics)."""
        try:
            return {"pid": self._pid(), "restarts": engine_restarts(self.pid_file),
                    "stopped_for_time_limit": self.generation}
        except (OSError, ValueError) as failed:
            return {"error": str(failed), "stopped_for_time_limit": self.generation}


class Watch:
    """One query's time limit: ``cancel`` when it is done; ``fired`` when it was stopped."""

    __slots__ = ("cancelled", "fired")

    def __init__(self) -> None:
        self.cancelled = self.fired = False

    def cancel(self) -> None:
        self.cancelled = True


class Watcher:
    """Every query's time limit, kept by one thread: a ``threading.Timer`` per query started
    a thread per request, which cost more (0.6 ms) than answering a lookup."""

    def __init__(self, action: Callable[[], None]) -> None:
        self._action = action
        self._due: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, seconds: float) -> Watch:
        watch = Watch()
        with self._wake:
            if len(self._due) > 4096:
                # Cancelled watches leave only when they reach the top; drop them in bulk.
                self._due = [entry for entry in self._due if not entry[2].cancelled]
                heapq.heapify(self._due)
            heapq.heappush(self._due, (time.monotonic() + seconds, next(self._order), watch))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="query-watchdog",
                                                daemon=True)
                self._thread.start()
            elif self._due[0][2] is watch:
                self._wake.notify()
        return watch

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._due and self._due[0][2].cancelled:
                    heapq.heappop(self._due)
                now = time.monotonic()
                if not self._due or self._due[0][0] > now:
                    self._wake.wait(self._due[0][0] - now if self._due else None)
                    continue
                expired = []
                while self._due and self._due[0][0] <= now:
                    watch = heapq.heappop(self._due)[2]
                    if not watch.cancelled:
                        watch.fired = True
                        expired.append(watch)
            if expired:
                self._action()


@contextmanager
def engine(location: Path, pid_file: Path) -> Iterator[Engine]:
    """Run `oxigraph serve` on ``location``, on loopback only, for the duration."""
    running = Engine(location, pid_file)
    _stop_left_over(location, pid_file)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def _stop_left_over(location: Path, pid_file: Path, limit: float = 10.0) -> None:
    """Stop the engine a `kg serve` killed outright (SIGKILL, the OOM killer) left running on
    this store: it keeps the store locked, and every later start would fail.

    Only an engine whose serving process is gone, and whose command line names this store, is
    stopped: a `kg serve` still running on the store keeps its engine (and this start fails on
    the store's lock, as it should).
    """
    try:
        engine_pid, owner_pid = engine_pids(pid_file)
        command = Path(f"/proc/{engine_pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return
    if alive(owner_pid) or b"serve" not in command or str(location).encode() not in command:
        return
    print(f"stopping the query engine (pid {engine_pid}) that a stopped `kg serve` left "
          "running on this store", file=sys.stderr, flush=True)
    os.killpg(engine_pid, signal.SIGTERM)
    deadline = time.monotonic() + limit
    while alive(engine_pid):
        if time.monotonic() > deadline:
            os.killpg(engine_pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.05)
    pid_file.unlink(missing_ok=True)


def _wait(proc: subprocess.Popen[bytes], base: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"oxigraph serve stopped at start (exit {proc.returncode}); "
                               "its message is above")
        try:
            with urllib.request.urlopen(base + "/", timeout=2):  # noqa: S310 - our own loopback
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"oxigraph serve did not answer within {limit} s") from None
            time.sleep(0.05)
