"""`/quality`: metadata quality per catalogue and publisher, from the stored DQV measurements."""

from __future__ import annotations

from flask import Blueprint, render_template

from graph.namespaces import KG
from graph.quality import DIMENSION_LABELS, DIMENSIONS, MAXIMUM, TOTAL_MAXIMUM, rating
from graph.queries import load_query
from graph.store import solutions
from web import get_store
from web.i18n import language, texts

bp = Blueprint("quality", __name__)
METRICS = {KG[f"{d}Score"].value: d for d in DIMENSIONS} | {KG.totalScore.value: "total"}


@bp.route("/quality")
def scores() -> str:
    """Mean points per dimension for every catalogue and publisher."""
    lang = language()
    table: dict[tuple[str, str], dict[str, object]] = {}
    for row in solutions(get_store().query(load_query("quality_scores"))):
        key = (row["kind"].value, row["subject"].value)
        entry = table.setdefault(key, {"iri": key[1], "label": key[1], "points": {}})
        label = row["label"]
        if label is not None and (entry["label"] == key[1] or label.language == lang):
            entry["label"] = label.value
        points = entry["points"]
        if isinstance(points, dict):
            points[METRICS.get(row["metric"].value, "?")] = float(row["value"].value)
    rows = sorted(table.items(), key=lambda item: (item[0][0], -float(
        item[1]["points"].get("total", 0) if isinstance(item[1]["points"], dict) else 0)))
    return render_template(
        "quality/scores.html", t=texts(lang), lang=lang, rows=rows, dimensions=DIMENSIONS,
        labels={d: DIMENSION_LABELS[d][0 if lang == "vi" else 1] for d in DIMENSIONS},
        maximum=MAXIMUM, total_maximum=TOTAL_MAXIMUM, rating=rating)
