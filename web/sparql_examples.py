"""Example queries of the SPARQL editor: what the profile lets one ask, in both languages."""

from __future__ import annotations

import re

from graph.namespaces import PREFIXES


def declared(text: str) -> str:
    """``text`` with PREFIX lines for the prefixes it uses: the endpoint knows them, but a
    query copied elsewhere (or checked by the editor) must declare them."""
    used = sorted(set(re.findall(r"\b([a-z]+):[A-Za-z]", text)) & set(PREFIXES))
    return "".join(f"PREFIX {name}: <{PREFIXES[name]}>\n" for name in used) + text


_EXAMPLES: list[tuple[str, str, str]] = [
    ("Tập dữ liệu theo chủ đề", "Datasets per theme", """\
SELECT ?theme ?label (COUNT(?dataset) AS ?datasets) WHERE {
  ?dataset a dcat:Dataset ; dcat:theme ?theme .
  ?theme skos:prefLabel ?label . FILTER(LANG(?label) = "vi")
}
GROUP BY ?theme ?label
ORDER BY DESC(?datasets)"""),
    ("Tập dữ liệu mới cập nhật", "Recently modified datasets", """\
SELECT ?dataset ?title ?modified WHERE {
  ?dataset a dcat:Dataset ; dct:title ?title ; dct:modified ?modified .
  FILTER(LANG(?title) = "vi")
}
ORDER BY DESC(?modified)
LIMIT 20"""),
    ("Cơ cấu tổ chức của Liên hiệp hội", "The federation's organisation tree", """\
SELECT ?organisation ?name ?parent WHERE {
  ?organisation a org:FormalOrganization ; skos:prefLabel ?name .
  OPTIONAL { ?organisation org:subOrganizationOf ?parent }
  FILTER(LANG(?name) = "vi")
}
ORDER BY ?parent ?name"""),
    ("Tỉnh cũ sáp nhập vào tỉnh mới (1/7/2025)",
     "Former provinces and what they became (2025)", """\
SELECT ?oldCode ?old ?newCode ?new WHERE {
  ?oldUnit kg:unitLevel <https://data.vusta.vn/id/concept/unit-level/province> ;
           kg:replacedBy ?newUnit ; skos:notation ?oldCode ; skos:prefLabel ?old .
  ?newUnit skos:notation ?newCode ; skos:prefLabel ?new .
}
ORDER BY ?oldCode"""),
    ("Tổ chức có địa chỉ ghi đơn vị hành chính cũ",
     "Organisations whose address cites a former unit", """\
SELECT ?organisation ?former ?current WHERE {
  ?organisation locn:address ?address .
  ?address kg:adminUnit ?formerUnit .
  ?formerUnit kg:validUntil ?until ; skos:prefLabel ?former .
  OPTIONAL { ?address kg:currentAdminUnit/skos:prefLabel ?current }
}"""),
    ("Điểm chất lượng siêu dữ liệu", "Metadata quality scores", """\
SELECT ?dataset ?score WHERE {
  ?dataset a dcat:Dataset ; dqv:hasQualityMeasurement ?m .
  ?m dqv:isMeasurementOf kg:totalScore ; dqv:value ?score .
}
ORDER BY ?score
LIMIT 20"""),
]
EXAMPLES = [(vi, en, declared(text)) for vi, en, text in _EXAMPLES]
