"""The web app as `kg serve` runs it: built in granian's worker process from what the serving
process left in the environment.

Why a worker process: granian answers HTTP in Rust and hands the WSGI app only the request;
against waitress, measured on one store, uncached lookups went from 864 to 1,349 requests/s
at 16 connections and cached answers from 3.3k to 15k+. The serving process keeps the engine
(and starts it again when it dies); the worker only talks to it, and stops it for a query
past its time limit.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from flask import Flask

SPEC_VARIABLE = "KG_SERVE_SPEC"


@dataclass(frozen=True)
class ServeSpec:
    """What the worker needs to build the app: its configuration, and either the engine's
    address and pid file or a store location to open itself."""

    config: dict[str, Any]
    store: str
    engine_url: str | None = None
    engine_pid_file: str | None = None

    def export(self) -> None:
        os.environ[SPEC_VARIABLE] = json.dumps(asdict(self))

    @classmethod
    def imported(cls) -> ServeSpec:
        try:
            return cls(**json.loads(os.environ[SPEC_VARIABLE]))
        except KeyError:
            raise RuntimeError(f"{SPEC_VARIABLE} is not set: this module is run by `kg serve`"
                               ) from None


def app() -> Flask:
    """The WSGI app (granian calls this factory once per worker)."""
    from graph.private_store import attach
    from graph.remote import Endpoint, RemoteStore
    from graph.store import open_store
    from web import create_app
    from web.engine import EngineControl

    spec = ServeSpec.imported()
    # The worker threads mostly wait on sockets (clients, the engine); with the default 5 ms
    # switch interval one whose answer has come waits behind one that computes. Measured: 15-20%
    # more uncached lookups per second at 16 connections with 0.5 ms.
    sys.setswitchinterval(0.0005)
    if spec.engine_url is None or spec.engine_pid_file is None:
        opened = open_store(spec.store)
        attach(opened, spec.store)
        return create_app(spec.config, store=opened)
    # The engine listens on a private loopback port: every write passes through this app.
    store = RemoteStore(Endpoint.oxigraph(spec.engine_url), timeout=3600, sole_writer=True)
    attach(store, spec.store)
    application = create_app(spec.config, store=store)
    application.extensions["engine"] = EngineControl(Path(spec.engine_pid_file))
    return application
