"""The `kg` command: the root group with `--store`, and `kg serve`."""

from __future__ import annotations

from pathlib import Path

import click

from graph.cli import StoreHandle, dump, get_store, query, restore, stats
from graph.store import DEFAULT_STORE
from loaders.cli import demo, load, quality, validate
from web.auth import TokenFile


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
@click.option("--threads", default=8, show_default=True, type=int, help="Worker threads.")
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
    """Serve the SPARQL endpoint, linked data and pages with waitress.

    On an on-disk store, queries run in an `oxigraph serve` child process on the same store,
    restarted to stop a query at the time limit (or if it dies); the web process talks to it
    over loopback.
    """
    import signal
    import sys

    import waitress

    from graph.remote import Endpoint, RemoteStore
    from web import create_app
    from web.engine import engine

    config: dict[str, object] = {"QUERY_TIMEOUT_S": query_timeout}
    if base_iri:
        config["BASE_IRI"] = base_iri if base_iri.endswith("/") else base_iri + "/"
    if tokens_file:
        config["TOKENS_FILE"] = tokens_file
    handle: StoreHandle = ctx.obj
    location = handle.location
    signal.signal(signal.SIGTERM, _stop)
    # The worker threads mostly wait on sockets (clients, the engine); with the default 5 ms
    # switch interval one whose answer has come waits behind one that computes. Measured: 15-20%
    # more uncached lookups per second at 16 connections with 0.5 ms.
    sys.setswitchinterval(0.0005)
    _say_if_assets_missing()
    if location == "memory" or location.startswith(("http://", "https://")):
        app = create_app(config, store=get_store(ctx))
        click.echo(f"serving on http://{host}:{port}/ (SPARQL at /sparql)")
        waitress.serve(app, host=host, port=port, threads=threads, ident="kg")
        return
    handle.close()
    from pathlib import Path

    # The engine's store has no path here; its index is the one `kg load` keeps beside it.
    config.setdefault("SEARCH_INDEX", f"{Path(location).resolve()}-search.sqlite")

    with engine(Path(location)) as running:
        # The engine listens on a private loopback port: every write passes through this app.
        store = RemoteStore(Endpoint.oxigraph(running.url), timeout=3600, sole_writer=True)
        app = create_app(config, store=store)
        app.extensions["engine"] = running
        click.echo(f"serving on http://{host}:{port}/ (SPARQL at /sparql; engine "
                   f"{running.url}, pid {running.pid()})")
        try:
            waitress.serve(app, host=host, port=port, threads=threads, ident="kg")
        except KeyboardInterrupt:
            pass
        finally:
            store.close()


def _say_if_assets_missing() -> None:
    from os import environ

    from web.assets import missing

    folder = Path(environ.get("KG_ASSETS_DIR", "data/assets"))
    absent = [p.name for p in missing(folder)]
    if absent:
        click.echo(f"note: {', '.join(absent)} not in {folder} (run `kg assets`): pages go "
                   "without the map and with a plain SPARQL form", err=True)


def _stop(signum: int, frame: object) -> None:
    # waitress stops only through an exception; this one also lets the engine be stopped.
    raise KeyboardInterrupt


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

    return TokenFile(Path(path or environ.get("KG_TOKENS_FILE", "data/tokens.json")))


@token.command("create")
@click.argument("name")
@click.option("--tokens", "tokens_file", default=None, help="Token file (default: "
              "data/tokens.json). Env: KG_TOKENS_FILE.")
def token_create(name: str, tokens_file: str | None) -> None:
    """Print a new token for NAME, once; only its hash is kept."""
    click.echo(_tokens(tokens_file).create(name))


@token.command("revoke")
@click.argument("name")
@click.option("--tokens", "tokens_file", default=None, help="Token file. Env: KG_TOKENS_FILE.")
def token_revoke(name: str, tokens_file: str | None) -> None:
    """Remove NAME's token; its requests are refused from now on."""
    if not _tokens(tokens_file).revoke(name):
        raise click.ClickException(f"no token named {name!r}")
    click.echo(f"revoked {name}")


for command in (query, stats, dump, restore, load, demo, validate, quality):
    kg.add_command(command)
