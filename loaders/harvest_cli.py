"""`kg harvest add | list | run | remove`: harvest sources and their runs."""

from __future__ import annotations

import json

import click

from graph.cli import get_index, get_store
from loaders.errors import LoadError
from loaders.harvest import harvest
from loaders.harvest_sources import (
    KINDS,
    SCHEDULES,
    HarvestSource,
    add_source,
    find_source,
    list_sources,
    remove_source,
)
from loaders.ingest import drop_source
from loaders.vocabularies import ensure_vocabularies


@click.group("harvest")
def harvest_group() -> None:
    """CKAN portals and DCAT catalogues harvested into their own graphs."""


def _failed(error: LoadError) -> None:
    click.secho("Nothing was changed.", fg="red", bold=True, err=True)
    for problem in error.problems:
        click.echo(f"  {problem}", err=True)
    raise SystemExit(1)


@harvest_group.command("add")
@click.argument("source_id")
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.option("--url", required=True, help="The CKAN portal's URL, or the DCAT document's.")
@click.option("--publisher", required=True, help="The id of the organisation it belongs to.")
@click.option("--title", required=True)
@click.option("--schedule", type=click.Choice(SCHEDULES), default="daily", show_default=True)
@click.option("--licence", default=None, help="Licence for records without one (notation, "
              "title or IRI of the licence vocabulary).")
@click.option("--trust-iris", is_flag=True, help="CKAN: the packages' `uri` extras become "
              "their IRIs.")
@click.option("--allow-private", is_flag=True, help="Admin only: the source may be on a "
              "loopback, link-local or private address.")
@click.option("--language", default="vi", show_default=True,
              help="The language of the source's untagged titles and descriptions.")
@click.pass_context
def add(ctx: click.Context, source_id: str, kind: str, url: str, publisher: str, title: str,
        schedule: str, licence: str | None, trust_iris: bool, allow_private: bool,
        language: str) -> None:
    """Add (or replace) the harvest source SOURCE_ID."""
    store = get_store(ctx)
    ensure_vocabularies(store)
    try:
        add_source(store, HarvestSource(source_id, title, kind, url, publisher, schedule,
                                        licence, trust_iris, allow_private, language))
    except LoadError as error:
        _failed(error)
    click.echo(f"harvest source {source_id} added")


@harvest_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """The harvest sources."""
    sources = list_sources(get_store(ctx))
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in sources], ensure_ascii=False, indent=2))
        return
    for source in sources:
        click.echo(f"{source.slug}\t{source.kind}\t{source.schedule}\t{source.publisher}\t"
                   f"{source.url}")


@harvest_group.command("run")
@click.argument("source_ids", nargs=-1)
@click.pass_context
def run(ctx: click.Context, source_ids: tuple[str, ...]) -> None:
    """Harvest the given sources (default: every one); exit 1 if any failed."""
    store = get_store(ctx)
    try:
        sources = [find_source(store, s) for s in source_ids] if source_ids \
            else list_sources(store)
    except LoadError as error:
        _failed(error)
        return
    failed = False
    for source in sources:
        try:
            outcome = harvest(store, source, index=get_index(ctx))
        except LoadError as error:
            failed = True
            click.secho(f"{source.slug}: failed, its graph is unchanged", fg="red", err=True)
            for problem in error.problems:
                click.echo(f"  {problem}", err=True)
            continue
        click.echo(outcome.line())
        for record in outcome.quarantined:
            click.echo(f"  quarantined {record}: "
                       f"{'; '.join(outcome.reasons.get(record, ['linked to a bad record']))}")
    if failed:
        raise SystemExit(1)


@harvest_group.command("remove")
@click.argument("source_id")
@click.option("--keep-graph", is_flag=True, help="Keep what was harvested from it.")
@click.pass_context
def remove(ctx: click.Context, source_id: str, keep_graph: bool) -> None:
    """Forget SOURCE_ID and drop what was harvested from it (recorded as deletions)."""
    store = get_store(ctx)
    try:
        source = find_source(store, source_id)
        remove_source(store, source_id)
        if not keep_graph and source.graph in {g.name for g in store.graphs()}:
            drop_source(store, source.graph, agent="kg harvest remove")
    except LoadError as error:
        _failed(error)
        return
    click.echo(f"harvest source {source_id} removed"
               + ("" if keep_graph else f", graph {source.graph.value} dropped"))
