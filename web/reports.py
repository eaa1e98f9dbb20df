"""`/reports`: the latest validation report of every source, per source and per record."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from pyoxigraph import NamedNode, RdfFormat, parse

from graph.namespaces import SH, graph_iri
from graph.queries import load_query
from graph.store import solutions
from web import get_store
from web.i18n import language, texts

bp = Blueprint("reports", __name__)
SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@bp.route("/reports")
def sources() -> str:
    """Every source graph with the counts of its latest validation."""
    lang = language()
    rows = []
    for row in solutions(get_store().query(load_query("source_reports"))):
        rows.append({
            "source": row["graph"].value.rsplit("/", 1)[-1], "graph": row["graph"].value,
            "title": row["title"].value if row["title"] else "",
            "loader": row["loader"].value, "modified": row["modified"].value,
            "violations": row["violations"].value if row["violations"] else "–",
            "warnings": row["warnings"].value if row["warnings"] else "–",
            "infos": row["infos"].value if row["infos"] else "–",
            "quarantined": row["quarantined"].value if row["quarantined"] else "0",
        })
    return render_template("reports/sources.html", t=texts(lang), lang=lang, rows=rows)


@bp.route("/reports/<source>")
def report(source: str) -> str:
    """One source's report, grouped by record; ``?record=IRI`` keeps one record (for a
    dataset: the dataset and its distributions)."""
    lang = language()
    try:
        graph = graph_iri(source)
    except ValueError:
        abort(404)
    store = get_store()
    found = list(solutions(store.query(load_query("source_report"), bindings={"graph": graph})))
    if not found:
        abort(404)
    wanted: set[str] | None = None
    record = request.args.get("record")
    if record:
        try:
            node = NamedNode(record)
        except ValueError:
            abort(400)
        wanted = {row["part"].value for row in solutions(
            store.query(load_query("dataset_parts"), bindings={"dataset": node}))} | {record}
    results = _results(found[0]["report"].value, lang)
    if wanted is not None:
        results = [r for r in results if r["focus"] in wanted]
    grouped: dict[str, list[dict[str, str]]] = {}
    for result in sorted(results, key=lambda r: (r["focus"], SEVERITY_ORDER[r["severity"]])):
        grouped.setdefault(result["focus"], []).append(result)
    return render_template("reports/report.html", t=texts(lang), lang=lang, source=source,
                           grouped=grouped, record=record, count=len(results))


def _results(turtle: str, lang: str) -> list[dict[str, str]]:
    """The results of a stored sh:ValidationReport, parsed by pyoxigraph."""
    by_node: dict[str, dict[str, str]] = {}
    messages: dict[str, dict[str, str]] = {}
    for quad in parse(turtle, RdfFormat.TURTLE):
        node, predicate, obj = str(quad.subject), quad.predicate, quad.object
        if predicate == SH.resultMessage:
            messages.setdefault(node, {})[getattr(obj, "language", None) or ""] = obj.value
            continue
        field = {SH.focusNode: "focus", SH.resultPath: "path", SH.value: "value",
                 SH.resultSeverity: "severity"}.get(predicate)
        if field is not None:
            value = obj.value if field != "value" else str(obj)
            if field == "severity":
                value = value.rsplit("#", 1)[-1]
            by_node.setdefault(node, {})[field] = value
    results = []
    for node, fields in by_node.items():
        found = messages.get(node, {})
        fields["message"] = found.get(lang) or found.get("en") or next(iter(found.values()), "")
        fields.setdefault("value", "")
        results.append(fields)
    return results
