"""The `kg` command: the root group with `--store`, and `kg serve`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from graph.cli import StoreHandle, audit, dump, query, restore, stats
from graph.store import DEFAULT_STORE
from loaders.cli import demo, load, quality, validate
from loaders.harvest_cli import harvest_group

if TYPE_CHECKING:
    from web.auth import TokenFile
    from web.worker import ServeSpec

# Seconds the web worker has to finish its requests when `kg serve` stops.
WORKER_STOP_S = 3


@click.group()
@click.option("--store", envvar="KG_STORE", default=DEFAULT_STORE, show_default=True,
              help="Store location: an on-disk folder, or 'memory'. Env: KG_STORE.")
@click.version_option(package_name="vusta-kg")
@click.pass_context
def kg(ctx: click.Context, store: str) -> None:
    """The knowledge graph service of the VUSTA open data portal."""
    handle = StoreHandle(store)
    ctx.obj = handle
    ctx.call_on_close(handle.close)


@kg.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=int,
              help="Threads that run the web app.")
@click.option("--base-iri", default=None, help="Base of the resource IRIs this server "
              "dereferences (default: the production base, https://data.vusta.vn/).")
@click.option("--query-timeout", default=30.0, show_default=True,
              type=click.FloatRange(min=1.0), help="Seconds after which a SPARQL query is "
              "stopped (at least 1).")
@click.option("--tokens", "tokens_file", default=None,
              help="File of hashed write tokens (default: data/tokens.json). Env: KG_TOKENS_FILE.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int, base_iri: str | None,
          query_timeout: float, tokens_file: str | None) -> None:
    """Serve the SPARQL endpoint, linked data and pages with granian.

    On an on-disk store, queries run in an `oxigraph serve` child process on the same store,
    restarted to stop a query at the time limit (or if it dies); the web app talks to it over
    loopback, from granian's worker process.
    """
    from web.engine import engine
    from web.worker import ServeSpec

    config: dict[str, object] = {"QUERY_TIMEOUT_S": query_timeout}
    if base_iri:
        config["BASE_IRI"] = base_iri if base_iri.endswith("/") else base_iri + "/"
    if tokens_file:
        config["TOKENS_FILE"] = tokens_file
    handle: StoreHandle = ctx.obj
    location = handle.location
    _say_if_assets_missing()
    if location == "memory" or location.startswith(("http://", "https://")):
        click.echo(f"serving on http://{host}:{port}/ (SPARQL at /sparql)")
        _run(host, port, threads, ServeSpec(config, location))
        return
    handle.close()
    store = Path(location).resolve()
    # The engine's store has no path here; its index is the one `kg load` keeps beside it.
    config.setdefault("SEARCH_INDEX", f"{store}-search.sqlite")
    with engine(store, Path(f"{store}-engine.pid")) as running:
        click.echo(f"serving on http://{host}:{port}/ (SPARQL at /sparql; engine "
                   f"{running.url}, pid {running.pid()})")
        _run(host, port, threads, ServeSpec(config, location, running.url,
                                            str(running.pid_file)))


def _run(host: str, port: int, threads: int, spec: ServeSpec) -> None:
    """granian with one worker process (the store's change counter and the caches live in
    it) and ``threads`` threads for the app; it returns on SIGTERM or SIGINT."""
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    spec.export()
    # Errors only: its notice that more threads than cores is "quite high" does not hold for
    # threads that mostly wait on the engine; where it listens, the line above says.
    # A signal to the whole process group (Ctrl-C, `kill -- -PGID`) reaches the worker twice,
    # from the terminal and from granian stopping it; measured, a quarter of such stops left
    # the worker waiting for ever. Past this many seconds it is killed.
    Granian("web.worker:app", address=host, port=port, interface=Interfaces.WSGI, workers=1,
            blocking_threads=threads, factory=True, respawn_failed_workers=True,
            websockets=False, log_level=LogLevels.error,
            workers_kill_timeout=WORKER_STOP_S).serve()


def _say_if_assets_missing() -> None:
    from os import environ

    from web.assets import missing

    folder = Path(environ.get("KG_ASSETS_DIR", "data/assets"))
    absent = [p.name for p in missing(folder)]
    if absent:
        click.echo(f"note: {', '.join(absent)} not in {folder} (run `kg assets`): pages go "
                   "without the map and with a plain SPARQL form", err=True)


@kg.command()
@click.option("--dir", "target", default=None, type=click.Path(path_type=Path),
              help="Where to put them (default: data/assets). Env: KG_ASSETS_DIR.")
def assets(target: Path | None) -> None:
    """Fetch the pinned front-end libraries (Leaflet, YASGUI) from the npm registry, check
    their SHA-512 and unpack them for the service to serve itself."""
    from os import environ

    from web.assets import PACKAGES, AssetError, fetch_assets

    folder = target or Path(environ.get("KG_ASSETS_DIR", "data/assets"))
    try:
        written = fetch_assets(folder)
    except AssetError as error:
        raise click.ClickException(str(error)) from error
    for package in PACKAGES:
        click.echo(f"{package.name} {package.version}: {folder / package.folder}")
    click.echo(f"{len(written)} files written" if written else "already up to date")


@kg.group()
def token() -> None:
    """Write tokens for SPARQL Update and the Graph Store (kept hashed)."""


def _tokens(path: str | None) -> TokenFile:
    from os import environ

    from web.auth import TokenFile

    return TokenFile(Path(path or environ.get("KG_TOKENS_FILE", "data/tokens.json")))


@token.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, help="admin (the default), harvest, read "
              "or publisher:ORG_ID; repeat for several.")
@click.option("--expires-days", type=click.IntRange(min=1), default=None,
              help="Days until the token stops working (default: never).")
@click.option("--tokens", "tokens_file", default=None, help="Token file (default: "
              "data/tokens.json). Env: KG_TOKENS_FILE.")
def token_create(name: str, scopes: tuple[str, ...], expires_days: int | None,
                 tokens_file: str | None) -> None:
    """Print a new token for NAME, once; only its hash is kept."""
    from datetime import UTC, datetime, timedelta

    expires = datetime.now(UTC) + timedelta(days=expires_days) if expires_days else None
    try:
        click.echo(_tokens(tokens_file).create(name, scopes or ("admin",), expires))
    except ValueError as bad:
        raise click.BadParameter(str(bad), param_hint="--scope") from None


@token.command("list")
@click.option("--tokens", "tokens_file", default=None, help="Token file. Env: KG_TOKENS_FILE.")
def token_list(tokens_file: str | None) -> None:
    """The tokens' holders, scopes and expiry (never the tokens)."""
    for holder in _tokens(tokens_file).holders():
        until = f"until {holder.expires:%Y-%m-%d %H:%M} UTC" if holder.expires else "no expiry"
        state = " (expired)" if holder.expired else ""
        click.echo(f"{holder.name}\t{' '.join(holder.scopes)}\t{until}{state}")


@token.command("revoke")
@click.argument("name")
@click.option("--tokens", "tokens_file", default=None, help="Token file. Env: KG_TOKENS_FILE.")
def token_revoke(name: str, tokens_file: str | None) -> None:
    """Remove NAME's token; its requests are refused from now on."""
    if not _tokens(tokens_file).revoke(name):
        raise click.ClickException(f"no token named {name!r}")
    click.echo(f"revoked {name}")


for command in (query, stats, dump, restore, audit, load, demo, validate, quality,
                harvest_group):
    kg.add_command(command)
