"""OAI-PMH 2.0 at ``/oai`` for academic aggregators: the six verbs over the datasets, in
``oai_dc`` and DataCite (``oai_datacite``, kernel 4), sets per publisher and per theme,
selective harvesting by datestamp (driven by the change record, see graph/oai_items.py),
resumption tokens and the protocol's own error codes.

Identifiers are the datasets' IRIs (URIs, as the protocol asks). A resumption token names the
arguments of the list and the last item sent (datestamp, IRI): lists are in that order, so a
token stays good while the store changes, and items changed meanwhile come at the end.
"""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for

from graph.oai_items import Item, earliest, items, set_names
from graph.records_json import DATASET, records
from web import get_store, store_revision
from web.http_cache import cacheable

bp = Blueprint("oai", __name__)
PAGE = 100
OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
DATACITE = "http://datacite.org/schema/kernel-4"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
FORMATS = {
    "oai_dc": (OAI_DC, "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"),
    "oai_datacite": (DATACITE, "http://schema.datacite.org/meta/kernel-4/metadata.xsd"),
}
VERBS = {
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), {"resumptionToken"}),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
}
for prefix, uri in (("oai", OAI), ("oai_dc", OAI_DC), ("dc", DC), ("xsi", XSI),
                    ("datacite", DATACITE)):
    ET.register_namespace(prefix, uri)


class OaiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _items() -> list[Item]:
    """The items at the store's revision, worked out once per revision."""
    kept: dict[str, Any] = current_app.extensions.setdefault("oai_items", {})
    revision = store_revision()
    if kept.get("revision") != revision:
        kept.update(revision=revision, items=items(get_store()))
    listed: list[Item] = kept["items"]
    return listed


@bp.route("/oai", methods=["GET", "POST"])
def endpoint() -> Response:
    """The OAI-PMH request: arguments in the query (GET) or the form body (POST)."""
    args = request.form if request.method == "POST" else request.args
    root = ET.Element(f"{{{OAI}}}OAI-PMH")
    root.set(f"{{{XSI}}}schemaLocation",
             f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd")
    ET.SubElement(root, f"{{{OAI}}}responseDate").text = _stamp(datetime.now(UTC))
    req = ET.SubElement(root, f"{{{OAI}}}request")
    req.text = url_for("oai.endpoint", _external=True)
    verb = args.get("verb", "")
    try:
        if verb not in VERBS:
            raise OaiError("badVerb", f"{verb!r} is not an OAI-PMH verb" if verb
                           else "the verb argument is missing")
        chosen = _arguments(verb, args)
        for name, value in chosen.items():
            req.set(name, value)
        req.set("verb", verb)
        _answer(root, verb, chosen)
    except OaiError as failure:
        error = ET.SubElement(root, f"{{{OAI}}}error", code=failure.code)
        error.text = str(failure)
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return cacheable(Response(body, content_type="text/xml; charset=utf-8"))


def _arguments(verb: str, args: Any) -> dict[str, str]:
    required, optional = VERBS[verb]
    given = {name: args.getlist(name) for name in args if name != "verb"}
    for name, values in given.items():
        if name not in required | optional:
            raise OaiError("badArgument", f"{verb} takes no argument {name!r}")
        if len(values) > 1:
            raise OaiError("badArgument", f"{name} is repeated")
    chosen = {name: values[0] for name, values in given.items()}
    if "resumptionToken" in chosen:
        if len(chosen) > 1:
            raise OaiError("badArgument", "resumptionToken is an exclusive argument")
        return chosen
    missing = sorted(required - set(chosen))
    if missing:
        raise OaiError("badArgument", f"{verb} needs {', '.join(missing)}")
    return chosen


def _answer(root: ET.Element, verb: str, args: dict[str, str]) -> None:
    if verb == "Identify":
        _identify(root)
    elif verb == "ListMetadataFormats":
        if "identifier" in args:
            _find(args["identifier"])
        node = ET.SubElement(root, f"{{{OAI}}}ListMetadataFormats")
        for prefix, (namespace, schema) in FORMATS.items():
            item = ET.SubElement(node, f"{{{OAI}}}metadataFormat")
            _text(item, "metadataPrefix", prefix)
            _text(item, "schema", schema)
            _text(item, "metadataNamespace", namespace)
    elif verb == "ListSets":
        if "resumptionToken" in args:
            raise OaiError("badResumptionToken", "ListSets is answered in one list")
        node = ET.SubElement(root, f"{{{OAI}}}ListSets")
        for spec, name in set_names(get_store()).items():
            item = ET.SubElement(node, f"{{{OAI}}}set")
            _text(item, "setSpec", spec)
            _text(item, "setName", name)
    elif verb == "GetRecord":
        _format(args["metadataPrefix"])
        record = _find(args["identifier"])
        node = ET.SubElement(root, f"{{{OAI}}}GetRecord")
        _records(node, [record], args["metadataPrefix"])
    else:
        _list(root, verb, args)


def _identify(root: ET.Element) -> None:
    node = ET.SubElement(root, f"{{{OAI}}}Identify")
    _text(node, "repositoryName", "VUSTA open data portal – knowledge graph")
    _text(node, "baseURL", url_for("oai.endpoint", _external=True))
    _text(node, "protocolVersion", "2.0")
    _text(node, "adminEmail", str(current_app.config.get("ADMIN_EMAIL", "data@vusta.vn")))
    _text(node, "earliestDatestamp", _stamp(earliest(_items())))
    # Deletions are kept as long as the change record keeps its history.
    _text(node, "deletedRecord", "transient")
    _text(node, "granularity", "YYYY-MM-DDThh:mm:ssZ")


def _list(root: ET.Element, verb: str, args: dict[str, str]) -> None:
    if "resumptionToken" in args:
        args, after = _read_token(args["resumptionToken"])
    else:
        after = None
    prefix = args["metadataPrefix"]
    _format(prefix)
    start, until = _date(args.get("from"), False), _date(args.get("until"), True)
    if "from" in args and "until" in args and len(args["from"]) != len(args["until"]):
        raise OaiError("badArgument", "from and until must have the same granularity")
    if start and until and start > until:
        raise OaiError("badArgument", "from is later than until")
    chosen = [item for item in _items()
              if (start is None or item.datestamp >= start)
              and (until is None or item.datestamp <= until)
              and ("set" not in args or args["set"] in item.sets)]
    if after is not None:
        chosen = [item for item in chosen if (_stamp(item.datestamp), item.iri) > after]
    if not chosen:
        raise OaiError("noRecordsMatch", "no record matches these arguments")
    page, more = chosen[:PAGE], len(chosen) > PAGE
    node = ET.SubElement(root, f"{{{OAI}}}{verb}")
    if verb == "ListIdentifiers":
        for item in page:
            _header(node, item)
    else:
        _records(node, page, prefix)
    if more or after is not None:
        token = ET.SubElement(node, f"{{{OAI}}}resumptionToken")
        if more:
            last = page[-1]
            token.text = _token(args, (_stamp(last.datestamp), last.iri))
        if after is None:
            token.set("completeListSize", str(len(chosen)))


def _token(args: dict[str, str], after: tuple[str, str]) -> str:
    state = {"a": {k: v for k, v in args.items() if k != "resumptionToken"}, "after": after}
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def _read_token(text: str) -> tuple[dict[str, str], tuple[str, str]]:
    try:
        state = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        args = {str(k): str(v) for k, v in state["a"].items()}
        stamp, iri = state["after"]
        if "metadataPrefix" not in args:
            raise ValueError
        return args, (str(stamp), str(iri))
    except (ValueError, KeyError, TypeError):
        raise OaiError("badResumptionToken", "not a resumption token of this "
                       "repository") from None


def _find(identifier: str) -> Item:
    found = next((item for item in _items() if item.iri == identifier), None)
    if found is None:
        raise OaiError("idDoesNotExist", f"no record {identifier!r}")
    return found


def _format(prefix: str) -> None:
    if prefix not in FORMATS:
        raise OaiError("cannotDisseminateFormat",
                       f"{prefix!r} is not one of {', '.join(FORMATS)}")


def _date(text: str | None, end: bool) -> datetime | None:
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
            return day.replace(hour=23, minute=59, second=59) if end else day
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise OaiError("badArgument", f"{text!r} is not YYYY-MM-DD or "
                       "YYYY-MM-DDThh:mm:ssZ") from None


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(parent: ET.Element, tag: str, text: str, namespace: str = OAI) -> ET.Element:
    node = ET.SubElement(parent, f"{{{namespace}}}{tag}")
    node.text = text
    return node


def _header(parent: ET.Element, item: Item) -> None:
    header = ET.SubElement(parent, f"{{{OAI}}}header")
    if item.deleted:
        header.set("status", "deleted")
    _text(header, "identifier", item.iri)
    _text(header, "datestamp", _stamp(item.datestamp))
    for spec in item.sets:
        _text(header, "setSpec", spec)


def _records(parent: ET.Element, listed: list[Item], prefix: str) -> None:
    found = {r["iri"]: r for r in records(get_store(), DATASET,
                                          [i.iri for i in listed if not i.deleted])}
    for item in listed:
        node = ET.SubElement(parent, f"{{{OAI}}}record")
        _header(node, item)
        record = found.get(item.iri)
        if item.deleted or record is None:
            continue
        metadata = ET.SubElement(node, f"{{{OAI}}}metadata")
        if prefix == "oai_dc":
            _dublin_core(metadata, record)
        else:
            _datacite(metadata, record)


def _texts(value: dict[str, str] | None) -> list[tuple[str, str]]:
    return sorted((value or {}).items())


def _dublin_core(parent: ET.Element, record: dict[str, Any]) -> None:
    dc = ET.SubElement(parent, f"{{{OAI_DC}}}dc")
    dc.set(f"{{{XSI}}}schemaLocation",
           f"{OAI_DC} http://www.openarchives.org/OAI/2.0/oai_dc.xsd")

    def add(tag: str, text: str | None, lang: str | None = None) -> None:
        if text:
            node = _text(dc, tag, text, DC)
            if lang and lang != "und":
                node.set("{http://www.w3.org/XML/1998/namespace}lang", lang)

    for lang, text in _texts(record.get("title")):
        add("title", text, lang)
    if record.get("publisher"):
        add("creator", record["publisher"]["label"])
        add("publisher", record["publisher"]["label"])
    for link in [*record.get("themes", []), *record.get("subjects", [])]:
        add("subject", link["label"] or link["iri"])
    for keyword in record.get("keywords", []):
        add("subject", keyword)
    for lang, text in _texts(record.get("description")):
        add("description", text, lang)
    add("date", record.get("issued"))
    add("type", "Dataset")
    add("identifier", record["iri"])
    for part in record.get("distributions", []):
        if part.get("format"):
            add("format", part["format"]["label"] or part["format"]["iri"])
    for link in record.get("languages", []):
        add("language", link["iri"].rsplit("/", 1)[-1].lower())
    for link in record.get("spatial", []):
        add("coverage", link["label"] or link["iri"])
    if record.get("startDate"):
        add("coverage", f"{record['startDate']}/{record.get('endDate') or ''}")
    licence = record.get("license") or next(
        (p["license"] for p in record.get("distributions", []) if p.get("license")), None)
    if licence:
        add("rights", licence["iri"])


def _datacite(parent: ET.Element, record: dict[str, Any]) -> None:
    resource = ET.SubElement(parent, f"{{{DATACITE}}}resource")
    resource.set(f"{{{XSI}}}schemaLocation",
                 f"{DATACITE} http://schema.datacite.org/meta/kernel-4/metadata.xsd")

    def add(within: ET.Element, tag: str, text: str | None, **attrs: str) -> ET.Element:
        node = ET.SubElement(within, f"{{{DATACITE}}}{tag}", attrs)
        node.text = text
        return node

    # No DOI is minted here: the dataset's IRI is its identifier, as a URL.
    add(resource, "identifier", record["iri"], identifierType="URL")
    creators = add(resource, "creators", None)
    creator = add(creators, "creator", None)
    publisher = (record.get("publisher") or {}).get("label") or "VUSTA"
    add(creator, "creatorName", publisher, nameType="Organizational")
    titles = add(resource, "titles", None)
    for lang, text in _texts(record.get("title")):
        node = add(titles, "title", text)
        if lang != "und":
            node.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
    add(resource, "publisher", publisher)
    year = (record.get("issued") or record.get("modified") or "")[:4]
    add(resource, "publicationYear", year if year.isdigit() else
        str(datetime.now(UTC).year))
    add(resource, "resourceType", "Dataset", resourceTypeGeneral="Dataset")
    subjects = add(resource, "subjects", None)
    for link in [*record.get("themes", []), *record.get("subjects", [])]:
        add(subjects, "subject", link["label"] or link["iri"], valueURI=link["iri"] or "")
    for keyword in record.get("keywords", []):
        add(subjects, "subject", keyword)
    dates = add(resource, "dates", None)
    for key, kind in (("issued", "Issued"), ("modified", "Updated")):
        if record.get(key):
            add(dates, "date", record[key], dateType=kind)
    if record.get("startDate"):
        add(dates, "date", f"{record['startDate']}/{record.get('endDate') or ''}",
            dateType="Collected")
    formats = add(resource, "formats", None)
    for part in record.get("distributions", []):
        if part.get("format"):
            add(formats, "format", part["format"]["label"] or part["format"]["iri"])
    licence = record.get("license") or next(
        (p["license"] for p in record.get("distributions", []) if p.get("license")), None)
    if licence:
        rights = add(resource, "rightsList", None)
        add(rights, "rights", licence["label"] or licence["iri"], rightsURI=licence["iri"])
    descriptions = add(resource, "descriptions", None)
    for lang, text in _texts(record.get("description")):
        node = add(descriptions, "description", text, descriptionType="Abstract")
        if lang != "und":
            node.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
    if record.get("spatial"):
        places = add(resource, "geoLocations", None)
        for link in record["spatial"]:
            place = add(places, "geoLocation", None)
            add(place, "geoLocationPlace", link["label"] or link["iri"])
