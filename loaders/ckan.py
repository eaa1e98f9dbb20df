"""CKAN portals through the Action API (``package_search`` paged with ``rows``/``start``),
mapped to the project's DCAT-AP profile.

Per package: the dataset IRI from its ``uri`` extra when the source is trusted with its own
IRIs, else minted stably from the source and the package id; title and notes in the source's
language; tags as keywords; groups as themes when they name one (by notation or label, with or
without diacritics), else keywords; extras (key/value lists) for place, period and contact;
the package's CKAN organisation as publisher when the registry knows it under the source's
organisation;
resources as distributions with their format (file-type vocabulary, any case), media type and
size; the licence (CKAN's ids and titles, or the source's default) on every distribution.
https://docs.ckan.org/en/2.10/api/#ckan.logic.action.get.package_search
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pyoxigraph import Literal, NamedNode, Triple

from graph.namespaces import DCAT, DCT, KG, ORG, RDF, SKOS, VCARD, XSD, resource_iri
from graph.store import GraphStore, solutions
from graph.text import fold
from loaders.errors import Problem
from loaders.reference import UnitIndex
from loaders.safe_http import Budget, Fetched, FetchError, fetch
from loaders.vocabulary_match import file_types, licences, themes

PAGE_ROWS = 100
PLACE_KEYS = ("spatial_text", "place", "province", "location", "dia_ban", "tinh", "spatial")
IANA = "https://www.iana.org/assignments/media-types/"


@dataclass
class CkanSource:
    """What the mapping needs to know of a CKAN harvest source."""

    slug: str
    url: str
    publisher: NamedNode
    language: str = "vi"
    default_licence: NamedNode | None = None
    trust_iris: bool = False
    # The source's organisation and those under it, by folded id, name, acronym.
    organisations: dict[str, NamedNode] = field(default_factory=dict)
    # The portal's own licence register (``license_list``): id -> our licence.
    portal_licences: dict[str, NamedNode] = field(default_factory=dict)

    def publisher_of(self, package: dict[str, Any]) -> NamedNode:
        """The package's CKAN organisation when it is the source's organisation or one under
        it in the registry (by id, name or acronym, any case or diacritics), else the
        source's organisation."""
        owner = package.get("organization")
        if isinstance(owner, dict):
            for key in ("name", "title", "display_name"):
                found = self.organisations.get(fold(_text(owner.get(key))))
                if found is not None:
                    return found
        return self.publisher


def portal_licences(source: CkanSource, budget: Budget) -> dict[str, NamedNode]:
    """The portal's ``license_list``: its own licence ids (a portal may define ``cc-by-vn``)
    read through their URL or title. A portal that does not answer it has none of its own."""
    url = f"{source.url.rstrip('/')}/api/3/action/license_list"
    try:
        answer = json.loads(fetch(url, budget, accept="application/json").body)
        entries = answer["result"] if isinstance(answer, dict) else []
    except (FetchError, ValueError, KeyError):
        return {}
    found: dict[str, NamedNode] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not _text(entry.get("id")):
            continue
        match = licences().match(_text(entry.get("url"))) or \
            licences().match(_text(entry.get("title")))
        if match is not None:
            found[_text(entry["id"])] = match
    return found


def organisations_under(store: GraphStore, publisher: NamedNode) -> dict[str, NamedNode]:
    """Every name the registry gives ``publisher`` and its sub-organisations, folded."""
    names: dict[str, NamedNode] = {}
    for row in solutions(store.query(
            f"SELECT ?o ?name WHERE {{ ?o {ORG.subOrganizationOf}* {publisher} . "
            f"{{ ?o {SKOS.prefLabel}|{DCT.identifier}|{KG.acronym} ?name }} }}")):
        if isinstance(row["o"], NamedNode) and row["name"].value.strip():
            names.setdefault(fold(row["name"].value), row["o"])
    return names


def packages(source: CkanSource, budget: Budget, conditional: dict[str, str] | None = None
             ) -> Iterator[dict[str, Any] | Fetched]:
    """Every package of the portal, page by page; a first page answered 304 is yielded as
    it is (nothing changed)."""
    start, count = 0, None
    while count is None or start < count:
        query = urllib.parse.urlencode({"rows": PAGE_ROWS, "start": start, "sort": "id asc"})
        url = f"{source.url.rstrip('/')}/api/3/action/package_search?{query}"
        page = fetch(url, budget, accept="application/json",
                     conditional=conditional if start == 0 else None)
        if page.status == 304:
            yield page
            return
        try:
            answer = json.loads(page.body)
            result = answer["result"]
            count, found = int(result["count"]), list(result["results"])
        except (ValueError, KeyError, TypeError) as error:
            raise FetchError([Problem(url, f"not a CKAN package_search answer: {error}")]) \
                from error
        if not answer.get("success", True):
            raise FetchError([Problem(url, f"CKAN says: {answer.get('error')}")])
        yield page
        yield from found
        if not found:
            return
        start += len(found)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _extras(package: dict[str, Any]) -> dict[str, str]:
    extras = package.get("extras") or []
    if isinstance(extras, dict):
        return {str(k): _text(v) for k, v in extras.items()}
    return {str(e.get("key")): _text(e.get("value")) for e in extras if isinstance(e, dict)}


def _iri(text: str) -> NamedNode | None:
    """A usable http(s) IRI from a URL as portals write it, or None."""
    text = text.strip().replace(" ", "%20")
    if not re.match(r"https?://[^\s<>\"{}|\\^`]+$", text):
        return None
    try:
        return NamedNode(text)
    except ValueError:
        return None


def _when(text: str) -> Literal | None:
    """A date or date-time as CKAN writes them (ISO 8601, often without a zone)."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return Literal(text, datatype=XSD.date)
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?", text)
    if match:
        return Literal(match.group(1) + (match.group(3) or ""), datatype=XSD.dateTime)
    return None


def dataset_iri(source: CkanSource, package: dict[str, Any]) -> NamedNode:
    own = _iri(_extras(package).get("uri", ""))
    if source.trust_iris and own is not None:
        return own
    return resource_iri("dataset", f"{source.slug}-{package['id']}")


def map_package(source: CkanSource, package: dict[str, Any], units: UnitIndex
                ) -> list[Triple]:
    """One package as DCAT-AP triples."""
    lang = source.language
    dataset = dataset_iri(source, package)
    extras = _extras(package)
    out = [Triple(dataset, RDF.type, DCAT.Dataset),
           Triple(dataset, DCT.publisher, source.publisher_of(package)),
           Triple(dataset, DCT.identifier, Literal(_text(package.get("name")) or
                                                   str(package["id"])))]

    def add(predicate: NamedNode, value: Any) -> None:
        out.append(Triple(dataset, predicate, value))

    title, notes = _text(package.get("title")), _text(package.get("notes"))
    if title:
        add(DCT.title, Literal(title, language=lang))
    if notes:
        add(DCT.description, Literal(notes, language=lang))
    for tag in package.get("tags") or []:
        name = _text(tag.get("display_name") or tag.get("name")) if isinstance(tag, dict) \
            else _text(tag)
        if name:
            add(DCAT.keyword, Literal(name, language=lang))
    for group in package.get("groups") or []:
        names = [_text(group.get(k)) for k in ("name", "title", "display_name")]
        theme = next((found for found in map(themes().match, names) if found), None)
        if theme is not None:
            add(DCAT.theme, theme)
        elif names[1] or names[0]:
            add(DCAT.keyword, Literal(names[1] or names[0], language=lang))
    for key in ("metadata_created", "metadata_modified"):
        when = _when(_text(package.get(key)))
        if when is not None:
            add(DCT.issued if key == "metadata_created" else DCT.modified, when)
    page = _iri(f"{source.url.rstrip('/')}/dataset/{_text(package.get('name'))}")
    if page is not None and package.get("name"):
        add(DCAT.landingPage, page)
    own = _iri(extras.get("uri", ""))
    if own is not None and own != dataset:
        add(DCT.source, own)
    for place in _places(extras, units):
        add(DCT.spatial, place)
    out += _period(dataset, extras)
    out += _contact(dataset, package, extras)
    licence = (licences().match(_text(package.get("license_id")))
               or source.portal_licences.get(_text(package.get("license_id")))
               or licences().match(_text(package.get("license_title")))
               or licences().match(_text(package.get("license_url")))
               or source.default_licence)
    for resource in package.get("resources") or []:
        out += _distribution(source, dataset, resource, licence)
    return out


def _places(extras: dict[str, str], units: UnitIndex) -> list[NamedNode]:
    """Units the extras name: a province or commune, current or pre-2025, by code or name."""
    for key in PLACE_KEYS:
        text = extras.get(key, "")
        if not text or text.startswith("{"):   # GeoJSON geometry: not a unit
            continue
        for level in ("province", "commune"):
            for edition in ("2025", "pre-2025"):
                found = units.find(text, level, edition)
                if len(found) == 1:
                    return [found[0].iri]
    return []


def _period(dataset: NamedNode, extras: dict[str, str]) -> list[Triple]:
    start = _when(extras.get("temporal_start", ""))
    end = _when(extras.get("temporal_end", ""))
    if start is None and end is None:
        return []
    period = NamedNode(f"{dataset.value}/period")
    found = [Triple(dataset, DCT.temporal, period), Triple(period, RDF.type, DCT.PeriodOfTime)]
    if start is not None:
        found.append(Triple(period, DCAT.startDate, start))
    if end is not None:
        found.append(Triple(period, DCAT.endDate, end))
    return found


def _contact(dataset: NamedNode, package: dict[str, Any], extras: dict[str, str]
             ) -> list[Triple]:
    name = extras.get("contact_name") or _text(package.get("maintainer")) or \
        _text(package.get("author"))
    email = extras.get("contact_email") or _text(package.get("maintainer_email")) or \
        _text(package.get("author_email"))
    if not name and not email:
        return []
    contact = NamedNode(f"{dataset.value}/contact")
    found = [Triple(dataset, DCAT.contactPoint, contact),
             Triple(contact, RDF.type, VCARD.Kind)]
    if name:
        found.append(Triple(contact, VCARD.fn, Literal(name)))
    if email and re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", email.removeprefix("mailto:")):
        found.append(Triple(contact, VCARD.hasEmail,
                            NamedNode(f"mailto:{email.removeprefix('mailto:')}")))
    return found


def _distribution(source: CkanSource, dataset: NamedNode, resource: dict[str, Any],
                  licence: NamedNode | None) -> list[Triple]:
    url = _iri(_text(resource.get("url")))
    if url is None or not resource.get("id"):
        return []
    node = resource_iri("distribution", f"{source.slug}-{resource['id']}")
    found = [Triple(dataset, DCAT.distribution, node), Triple(node, RDF.type, DCAT.Distribution),
             Triple(node, DCAT.accessURL, url), Triple(node, DCAT.downloadURL, url)]
    name = _text(resource.get("name"))
    if name:
        found.append(Triple(node, DCT.title, Literal(name, language=source.language)))
    description = _text(resource.get("description"))
    if description:
        found.append(Triple(node, DCT.description,
                            Literal(description, language=source.language)))
    media = _text(resource.get("mimetype")).lower()
    extension = url.value.rsplit("/", 1)[-1].rsplit(".", 1)[-1] if "." in url.value else ""
    fmt = file_types().match(_text(resource.get("format")).lstrip(".")) or \
        file_types().match(media) or file_types().match(extension)
    if fmt is not None:
        found.append(Triple(node, DCT.format, fmt))
    if re.fullmatch(r"[a-z]+/[a-z0-9.+-]+", media):
        found.append(Triple(node, DCAT.mediaType, NamedNode(IANA + media)))
    size = resource.get("size")
    if (isinstance(size, int) and size >= 0) or (isinstance(size, str) and size.isdigit()):
        found.append(Triple(node, DCAT.byteSize,
                            Literal(str(int(size)), datatype=XSD.nonNegativeInteger)))
    if licence is not None:
        found.append(Triple(node, DCT.license, licence))
    for key, predicate in (("created", DCT.issued), ("last_modified", DCT.modified)):
        when = _when(_text(resource.get(key)))
        if when is not None:
            found.append(Triple(node, predicate, when))
    return found

