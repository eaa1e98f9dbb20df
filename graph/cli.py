"""`kg query`, `kg stats`, `kg dump`, `kg restore`, `kg audit`: the store from the command
line."""

from __future__ import annotations

import gzip
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

import click
from pyoxigraph import QueryBoolean, QuerySolutions
from rich.console import Console
from rich.table import Table

from graph.audit_log import writes
from graph.private_store import private_store
from graph.queries import load_query
from graph.results import FORMATS, FormatMismatchError, default_format, write_result
from graph.search_index import SearchIndex, index_beside
from graph.store import GraphStore, StoreError, open_store, solutions


class StoreHandle:
    """The store named by ``--store``, opened on first use so that ``--help`` needs none."""

    def __init__(self, location: str) -> None:
        self.location = location
        self._store: GraphStore | None = None
        self._index: SearchIndex | None = None
        self._opened_at = 0

    @property
    def store(self) -> GraphStore:
        if self._store is None:
            try:
                self._store = open_store(self.location)
            except StoreError as error:
                raise click.ClickException(str(error)) from error
            self._opened_at = self._store.revision()
        return self._store

    @property
    def index(self) -> SearchIndex | None:
        """The search index kept beside an on-disk store (None for other stores); loads
        offer it the rows they read, and ``close`` brings it up to date."""
        if self._index is None:
            path = index_beside(self.store)
            self._index = SearchIndex(Path(path)) if path else None
        return self._index

    def close(self) -> None:
        if self._store is None:
            return
        try:
            # A command that changed an on-disk store brings its search index up to date, so
            # that the first search after a load does not pay for it.
            if self._store.revision() != self._opened_at and self.index is not None:
                self.index.sync(self._store)
        finally:
            if self._index is not None:
                self._index.close()
                self._index = None
            self._store.close()
            self._store = None


def get_index(ctx: click.Context) -> SearchIndex | None:
    """The search index of the current `kg` invocation's store, if it keeps one."""
    return cast(StoreHandle, ctx.find_object(StoreHandle)).index


def get_store(ctx: click.Context) -> GraphStore:
    """The store of the current `kg` invocation."""
    return cast(StoreHandle, ctx.find_object(StoreHandle)).store


def _open_output(path: Path, mode: str) -> BinaryIO:
    opener: Any = gzip.open if path.suffix == ".gz" else open
    return cast(BinaryIO, opener(path, mode))


@click.command()
@click.argument("sparql")
@click.option("--format", "fmt", type=click.Choice(["table", *FORMATS]), default=None,
              help="Output format; default: a table for SELECT/ASK, Turtle for CONSTRUCT.")
@click.pass_context
def query(ctx: click.Context, sparql: str, fmt: str | None) -> None:
    """Run a SPARQL query (text, or @file.rq) over the union of all graphs."""
    if sparql.startswith("@"):
        try:
            sparql = Path(sparql[1:]).read_text(encoding="utf-8")
        except OSError as error:
            raise click.BadParameter(f"cannot read {sparql[1:]}: {error}") from error
    try:
        result = get_store(ctx).query(sparql)
    except StoreError as error:
        raise click.ClickException(str(error)) from error
    if fmt is None:
        fmt = "table" if default_format(result) == "json" else "ttl"
    if fmt == "table":
        if isinstance(result, QuerySolutions):
            _print_table(result)
        elif isinstance(result, QueryBoolean):
            click.echo("true" if bool(result) else "false")
        else:
            raise click.UsageError("a table needs SELECT or ASK results")
        return
    try:
        write_result(result, fmt, sys.stdout.buffer)
    except FormatMismatchError as error:
        raise click.UsageError(str(error)) from error
    sys.stdout.buffer.flush()


def _print_table(rows: QuerySolutions) -> None:
    names = [v.value for v in rows.variables]
    table = Table(*names, show_lines=False)
    count = 0
    for row in rows:
        table.add_row(*[("" if row[name] is None else str(row[name])) for name in names])
        count += 1
    Console().print(table)
    click.echo(f"{count} rows")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Triples per named graph (with provenance) and instances per class."""
    store = get_store(ctx)
    graphs = store.graphs()
    classes = [(row["class"].value, int(row["n"].value))
               for row in solutions(store.query(load_query("class_counts")))]
    if as_json:
        click.echo(json.dumps({
            "revision": store.revision(),
            "triples": sum(g.triples for g in graphs),
            "graphs": [{"graph": g.name.value, "triples": g.triples, "loader": g.loader,
                        "source": g.source, "title": g.title,
                        "loaded_at": g.loaded_at.isoformat() if g.loaded_at else None}
                       for g in graphs],
            "classes": [{"class": c, "instances": n} for c, n in classes],
        }, ensure_ascii=False, indent=2))
        return
    console = Console()
    table = Table("graph", "triples", "loader", "loaded at", "source", title="Named graphs")
    table.columns[0].overflow = "fold"
    for g in graphs:
        table.add_row(g.name.value, f"{g.triples:,}", g.loader or "",
                      g.loaded_at.isoformat() if g.loaded_at else "", g.source or "")
    console.print(table)
    table = Table("class", "instances", title="Classes")
    for name, count in classes:
        table.add_row(name, f"{count:,}")
    console.print(table)


_PRIVATE_HELP = ("The private store instead: the organisations' catalogue graphs with their "
                 "drafts, the withheld URLs, the audit.")


def _chosen_store(ctx: click.Context, private: bool) -> GraphStore:
    store = get_store(ctx)
    return private_store(store) if private else store


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--private", is_flag=True, help=_PRIVATE_HELP)
@click.pass_context
def dump(ctx: click.Context, file: Path, private: bool) -> None:
    """Write every graph as N-Quads to FILE (gzip when it ends in .gz)."""
    with _open_output(file, "wb") as out:
        count = _chosen_store(ctx, private).dump(out)
    click.echo(f"{count} quads written to {file}")


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--private", is_flag=True, help=_PRIVATE_HELP)
@click.pass_context
def restore(ctx: click.Context, file: Path, private: bool) -> None:
    """Make the store hold exactly the N-Quads in FILE (from `kg dump`); atomic."""
    try:
        with _open_output(file, "rb") as data:
            count = _chosen_store(ctx, private).restore(data)
    except (StoreError, OSError, EOFError) as error:
        raise click.ClickException(f"{file}: {error}; the store is unchanged") from error
    click.echo(f"{count} quads restored from {file}")


@click.command()
@click.option("--token", default=None, help="Only the writes of the token of this name.")
@click.option("--since", default=None, type=click.DateTime(),
              help="Only writes from this date (and time, UTC) on.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1),
              help="How many writes, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def audit(ctx: click.Context, token: str | None, since: datetime | None, limit: int,
          as_json: bool) -> None:
    """Who wrote what over HTTP: token, scopes, address, request and the records changed."""
    found = writes(get_store(ctx), token=token,
                   since=since.replace(tzinfo=UTC) if since else None, limit=limit)
    if as_json:
        click.echo(json.dumps([w.as_dict() for w in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("no writes recorded")
    for write in found:
        click.echo(f"{write.at}  {write.token} [{' '.join(write.scopes)}] from "
                   f"{write.address}: {write.request} -> {write.graph}")
        for activity, record in write.changes:
            click.echo(f"    {activity:<6} {record}")
