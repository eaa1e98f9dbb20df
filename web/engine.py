"""The query engine that `kg serve` runs beside itself: `oxigraph serve` on the same store.

Why: pyoxigraph cannot stop a query once started (FACTS.md); a process can be stopped. The
web process reaches the store only through ``RemoteStore``, so a runaway query costs a
restart of the engine (0.1 s), not a core for ever.

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

RESTART_SPACING_S = 0.5

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
    """`oxigraph serve` on one store and one loopback port, which can be restarted.

    ``stop_query`` is how a query past its time limit is stopped: the engine process is killed
    and started again on the same store and port (RocksDB keeps every committed transaction;
    staging graphs of a load it cut are removed when the store is next opened). An engine that
    dies of anything else is started again too, by a thread that waits on it.
    """

    def __init__(self, location: Path) -> None:
        self.location = location
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.restarts = 0
        # Bumped before the engine is stopped: a query that failed while it changed was cut
        # short by someone else's stop, and may run again.
        self.generation = 0
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopping = False
        self._watcher = Watcher(self.stop_query)

    def watch(self, seconds: float) -> Watch:
        """Stop the engine's queries (``stop_query``) unless cancelled within ``seconds``."""
        return self._watcher.watch(seconds)

    def start(self) -> None:
        command = [*oxigraph_command(), "serve", "--location", str(self.location),
                   "--bind", f"127.0.0.1:{self.port}"]
        # Its log goes where ours goes; a pipe nobody reads would stall it once full.
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL,  # noqa: S603
                                start_new_session=True)
        _wait(proc, self.url)
        self._proc = proc
        threading.Thread(target=self._supervise, args=(proc,), name="engine-supervisor",
                         daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self.generation += 1
            proc = self._proc
        if proc is not None:
            stop_group(proc)

    def stop_query(self) -> None:
        """Kill the engine (and with it the runaway query) and start it again."""
        with self._lock:
            began = time.monotonic()
            self.generation += 1
            proc, self._proc = self._proc, None
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            self.restarts += 1
            self.start()
            print(f"query engine stopped for a query past its time limit; restarted in "
                  f"{time.monotonic() - began:.2f} s, pid {self.pid()}", file=sys.stderr,
                  flush=True)

    def _supervise(self, proc: subprocess.Popen[bytes]) -> None:
        code = proc.wait()
        # An engine that dies at once on every start would otherwise be restarted in a loop.
        time.sleep(RESTART_SPACING_S)
        with self._lock:
            if self._proc is not proc or self._stopping:
                return
            began = time.monotonic()
            self.generation += 1
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
def engine(location: Path) -> Iterator[Engine]:
    """Run `oxigraph serve` on ``location``, on loopback only, for the duration."""
    running = Engine(location)
    running.start()
    try:
        yield running
    finally:
        running.stop()


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
