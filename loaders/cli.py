"""`kg load ...`, `kg demo` and `kg validate`: sources into the store, checked, with progress."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

import click
from pyoxigraph import NamedNode
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from graph.cli import get_index, get_store
from graph.quality import CHECKS, DIMENSION_LABELS, DIMENSIONS, MAXIMUM, TOTAL_MAXIMUM, rating
from graph.store import GraphStore, Provenance, RdfFile, RdfFiles, open_store
from graph.validation_report import as_json, as_text, as_turtle, record_titles
from loaders.admin_units import read_admin_units, read_province_table
from loaders.demo import load_demo
from loaders.errors import LoadError
from loaders.fetch import local_copy
from loaders.ingest import Ingested, ValidationFailedError, check_only, ingest
from loaders.organisations import read_organisations
from loaders.quality import refresh_quality
from loaders.rdf_file import rdf_file
from loaders.reference import UnitIndex
from loaders.vocabularies import ensure_vocabularies, load_vocabularies

T = TypeVar("T")
err = Console(stderr=True)
QUARANTINE = click.option("--quarantine", is_flag=True,
                          help="Load the valid records; keep the invalid ones in quarantine.")
GRAPH = click.option("--graph", "graph", help="Named graph IRI (default: the source's graph).")


def _graph_option(value: str | None) -> NamedNode | None:
    if value is None:
        return None
    try:
        return NamedNode(value)
    except ValueError as error:
        raise click.BadParameter(f"not an IRI: {error}") from error


def _fail(error: LoadError) -> None:
    click.secho("Nothing was loaded; the store is unchanged.", fg="red", bold=True, err=True)
    if isinstance(error, ValidationFailedError):
        click.echo(f"{error.report.count('Violation')} violations of the profile's shapes "
                   "(run `kg validate` for the full report, or load with --quarantine):",
                   err=True)
    for problem in error.problems:
        click.echo(f"  {problem}", err=True)
    raise SystemExit(1)


def _store_with_vocabularies(ctx: click.Context) -> GraphStore:
    """The store, with the shipped vocabularies brought in first when it lacks them or
    holds another version (every source is validated against them), said in one line."""
    store = get_store(ctx)
    line = ensure_vocabularies(store).line()
    if line:
        click.echo(line)
    return store


def _report(done: Ingested, lines: Iterable[str] = ()) -> None:
    for line in lines:
        click.echo(line)
    report = done.report
    click.echo(f"{done.info.name.value}: {done.info.triples} triples; validation: "
               f"{report.count('Violation')} violations, {report.count('Warning')} warnings, "
               f"{report.count('Info')} infos")
    if done.quarantined:
        click.secho(f"{len(done.quarantined)} records failed validation and were quarantined "
                    "(kept in the graph's provenance, kg:quarantinedRecord):", fg="yellow")
        for record in done.quarantined:
            click.echo(f"  {record}")


def counted(items: Iterable[T], total: int, label: str) -> Iterator[T]:
    """Items with a progress bar on the terminal."""
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), console=err,
                  transient=True) as progress:
        task = progress.add_task(label, total=total)
        for number, item in enumerate(items, start=1):
            if number % 10_000 == 0:
                progress.update(task, completed=number)
            yield item
        progress.update(task, completed=total)


def _offset(report: Callable[[int], None], base: int) -> Callable[[int], None]:
    def shifted(count: int) -> None:
        report(base + count)
    return shifted


def _catalog_files(files: tuple[Path, ...], syntax: str | None, base_iri: str | None,
                   progress: Callable[[int], None] | None = None) -> RdfFiles:
    chosen = [rdf_file(path, syntax=syntax, base_iri=base_iri) for path in files]
    staged, done = [], 0
    for file in chosen:
        staged.append(RdfFile(file.path, file.format, file.base_iri,
                              _offset(progress, done) if progress else None))
        done += file.path.stat().st_size
    return RdfFiles(tuple(staged))


@click.group()
def load() -> None:
    """Load one source into its own named graph, replacing what it held (atomic, validated)."""


@load.command("admin-units")
@click.argument("location")
@GRAPH
@QUARANTINE
@click.pass_context
def load_admin_units_command(ctx: click.Context, location: str, graph: str | None,
                             quarantine: bool) -> None:
    """The official GSO list: a folder, archive or URL laid out like vn-admin-units/."""
    try:
        with local_copy(location) as folder:
            units = read_admin_units(folder)
            done = ingest(_store_with_vocabularies(ctx), "admin-units",
                          counted(units.triples, len(units.triples), "admin units"),
                          Provenance("admin-units", location, "Official GSO administrative units"),
                          graph=_graph_option(graph), quarantine=quarantine,
                          index=get_index(ctx))
    except LoadError as error:
        _fail(error)
        return
    _report(done, units.report.lines())


@load.command("orgs")
@click.argument("file", type=click.Path(path_type=Path))
@GRAPH
@QUARANTINE
@click.pass_context
def load_orgs(ctx: click.Context, file: Path, graph: str | None, quarantine: bool) -> None:
    """An organisation registry in CSV (see the README for the columns)."""
    try:
        store = get_store(ctx)
        with local_copy(str(file)) as path:
            orgs = read_organisations(path, UnitIndex.from_store(store), label=str(file))
        done = ingest(_store_with_vocabularies(ctx), "organisations", orgs.triples,
                      Provenance("orgs", str(file), "Organisation registry"),
                      graph=_graph_option(graph), quarantine=quarantine, index=get_index(ctx))
    except LoadError as error:
        _fail(error)
        return
    _report(done, orgs.report.lines())


@load.command("catalog")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--syntax", help="turtle, ntriples, jsonld or rdfxml (default: from the extension).")
@click.option("--base-iri", help="Base for relative IRIs (default: each file's own location).")
@GRAPH
@QUARANTINE
@click.pass_context
def load_catalog(ctx: click.Context, files: tuple[Path, ...], syntax: str | None,
                 base_iri: str | None, graph: str | None, quarantine: bool) -> None:
    """DCAT catalogue files (Turtle, N-Triples, JSON-LD, RDF/XML) as one source."""
    try:
        total = sum(path.stat().st_size for path in files if path.is_file())
        with Progress(TextColumn("catalogue"), BarColumn(), DownloadColumn(), console=err,
                      transient=True) as progress:
            task = progress.add_task("catalogue", total=total)

            def advance(offset: int) -> None:
                progress.update(task, completed=offset)

            data = _catalog_files(files, syntax, base_iri, advance)
            done = ingest(_store_with_vocabularies(ctx), "catalog", data,
                          Provenance("catalog", " ".join(str(f) for f in files), "DCAT catalogue"),
                          graph=_graph_option(graph), quarantine=quarantine,
                          index=get_index(ctx))
    except LoadError as error:
        _fail(error)
        return
    _report(done)


@load.command("ontologies")
@click.pass_context
def load_ontologies(ctx: click.Context) -> None:
    """The shipped ontologies and concept schemes, each into its own graph."""
    try:
        infos = load_vocabularies(get_store(ctx))
    except LoadError as error:
        _fail(error)
        return
    for info in infos:
        click.echo(f"{info.name.value}: {info.triples} triples")


@click.command()
@click.option("--admin-units", "admin_units", metavar="PATH_OR_URL",
              help="The official unit list (folder, archive or URL); without it, the "
                   "project's own table of provinces is used.")
@click.pass_context
def demo(ctx: click.Context, admin_units: str | None) -> None:
    """Load vocabularies, administrative units, demo organisations and a demo catalogue."""
    try:
        result = load_demo(get_store(ctx), admin_units, click.echo)
    except LoadError as error:
        _fail(error)
        return
    for line in (result.units.lines() if result.units else []):
        click.echo(line)
    for line in (result.organisations.lines() if result.organisations else []):
        click.echo(line)
    click.echo(f"demo loaded: {sum(g.triples for g in result.graphs)} triples in "
               f"{len(result.graphs)} graphs")


def _reference_store(ctx: click.Context) -> GraphStore:
    """The configured store when it holds the vocabularies; else a throwaway one with the
    shipped vocabularies and the province table, so a publisher can validate anywhere."""
    store = get_store(ctx)
    if any(g.loader == "vocabulary" for g in store.graphs()):
        return store
    scratch = open_store("memory")
    load_vocabularies(scratch)
    ingest(scratch, "admin-units", read_province_table().triples,
           Provenance("admin-units", "loaders/data/provinces.csv"))
    return scratch


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "turtle"]), default="text",
              show_default=True, help="Report format; turtle is a standard sh:ValidationReport.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True,
              help="Language of the messages.")
@click.option("--syntax", help="turtle, ntriples, jsonld or rdfxml (default: from the extension).")
@click.option("--base-iri", help="Base for relative IRIs (default: each file's own location).")
@click.pass_context
def validate(ctx: click.Context, files: tuple[Path, ...], fmt: str, lang: str,
             syntax: str | None, base_iri: str | None) -> None:
    """Validate RDF files against the profile without loading them.

    Exit status: 0 when they conform, 1 when there are violations, 2 when a file cannot be
    read or the usage is wrong.
    """
    try:
        store = _reference_store(ctx)
        data = _catalog_files(files, syntax, base_iri)
        report, titles = check_only(store, data, " ".join(str(f) for f in files), lang)
    except LoadError as error:
        for problem in error.problems:
            click.echo(f"{problem}", err=True)
        raise SystemExit(2) from error
    if fmt == "turtle":
        click.echo(as_turtle(report).decode("utf-8"), nl=False)
    else:
        render = as_json if fmt == "json" else as_text
        click.echo(render(report, lang, titles))
    raise SystemExit(0 if report.conforms else 1)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.pass_context
def quality(ctx: click.Context, as_json: bool, lang: str) -> None:
    """Score metadata quality (MQA dimensions) per dataset, publisher and catalogue, and store
    the scores in the graph as DQV measurements."""
    store = get_store(ctx)
    try:
        summary = refresh_quality(store)
    except LoadError as error:
        _fail(error)
        return
    if as_json:
        click.echo(json.dumps({
            "maximum": {**MAXIMUM, "total": TOTAL_MAXIMUM},
            "checks": [{"dimension": c.dimension, "check": c.name, "points": c.points}
                       for c in CHECKS],
            "overall": summary.overall, "rating": rating(summary.overall.get("total", 0)),
            "catalogues": summary.catalogues, "publishers": summary.publishers,
            "datasets": [{"dataset": d.dataset.strip("<>"), "publisher":
                          (d.publisher or "").strip("<>") or None, **d.points,
                          "total": d.total, "rating": rating(d.total)}
                         for d in summary.datasets],
        }, ensure_ascii=False, indent=2))
        return
    labels = {d: DIMENSION_LABELS[d][0 if lang == "vi" else 1] for d in DIMENSIONS}
    titles = record_titles(store, sorted(summary.publishers), lang)
    table = Table("publisher" if lang == "en" else "đơn vị công bố",
                  "datasets" if lang == "en" else "tập dữ liệu",
                  *labels.values(), "total" if lang == "en" else "tổng", title=(
                      f"{len(summary.datasets)} datasets, mean {summary.overall['total']:.0f}"
                      f"/{TOTAL_MAXIMUM} ({rating(summary.overall['total'])})"))
    for publisher, points in summary.publishers.items():
        table.add_row(titles.get(publisher, publisher.strip("<>")) or "-",
                      f"{points['datasets']:.0f}",
                      *(f"{points[d]:.0f}/{MAXIMUM[d]}" for d in DIMENSIONS),
                      f"{points['total']:.0f}")
    Console().print(table)
