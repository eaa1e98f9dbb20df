"""A dataset record of the JSON API turned back into triples: the shape ``records_json``
writes (``title.vi``, ``publisher.iri``, ``distributions[]``...) is the shape a client sends.

Links may be given as ``{"iri": ...}`` (as the API writes them) or as a bare IRI string;
keywords as strings (Vietnamese) or as ``{"vi": [...], "en": [...]}``. The dataset's period
and contact point get IRIs under the dataset's (``{dataset}/period``, ``{dataset}/contact``),
distributions without an IRI one under ``/id/distribution/{dataset id}/{n}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pyoxigraph import Literal, NamedNode, Triple

from graph.namespaces import BASE, DCAT, DCT, KG, RDF, VCARD, XSD
from graph.records_json import DATASET, DISTRIBUTION

ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?")
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*|und")
# Keys the API writes that are not data a client sets.
READ_ONLY = frozenset({"id", "iri"})


class RecordError(ValueError):
    """A field of a record that cannot be written, named by its JSON path."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


def dataset_id(value: str) -> tuple[str, str]:
    """The organisation and the name of a written dataset's id (``{org}/{name}``)."""
    org, _, name = value.partition("/")
    if not (ID.fullmatch(org) and ID.fullmatch(name)):
        raise RecordError("id", "a written dataset's id is {organisation id}/{name}, each of "
                          "letters, digits, '.', '_' or '-'")
    return org, name


def dataset_iri(value: str) -> NamedNode:
    dataset_id(value)
    return NamedNode(DATASET.iri_prefix + value)


def dataset_triples(record: dict[str, Any], id: str) -> list[Triple]:
    """The triples of the dataset ``id`` as ``record`` describes it; ``RecordError`` names
    the first field that cannot be written."""
    org, _ = dataset_id(id)
    if not isinstance(record, dict):
        raise RecordError("(body)", "send a JSON object: the dataset's fields")
    subject = dataset_iri(id)
    _check_keys(record, {f.key for f in DATASET.fields}, "")
    if record.get("iri") not in (None, subject.value):
        raise RecordError("iri", f"this dataset's IRI is {subject.value}")
    found = [Triple(subject, RDF.type, DCAT.Dataset)]
    publisher = record.get("publisher") or {"iri": f"{BASE}id/org/{org}"}
    found.append(Triple(subject, DCT.publisher, _iri(publisher, "publisher")))
    found += _texts(subject, DCT.title, record.get("title"), "title")
    found += _texts(subject, DCT.description, record.get("description"), "description")
    for key, predicate in (("themes", DCAT.theme), ("subjects", DCT.subject),
                           ("spatial", DCT.spatial), ("languages", DCT.language)):
        found += [Triple(subject, predicate, _iri(v, f"{key}[{n}]"))
                  for n, v in enumerate(_list(record.get(key), key))]
    for key, predicate in (("license", DCT.license), ("accessRights", DCT.accessRights),
                           ("landingPage", DCAT.landingPage)):
        if record.get(key) is not None:
            found.append(Triple(subject, predicate, _iri(record[key], key)))
    for key, predicate in (("issued", DCT.issued), ("modified", DCT.modified)):
        if record.get(key) is not None:
            found.append(Triple(subject, predicate, _date(record[key], key)))
    found += _keywords(subject, record.get("keywords"))
    found += _period(subject, record.get("startDate"), record.get("endDate"))
    found += _contact(subject, record.get("contactName"), record.get("contactEmail"))
    draft = record.get("draft", False)
    if not isinstance(draft, bool):
        raise RecordError("draft", "true or false")
    if draft:
        found.append(Triple(subject, KG.draft, Literal("true", datatype=XSD.boolean)))
    for number, item in enumerate(_list(record.get("distributions"), "distributions"), 1):
        found += _distribution(subject, id, item, number)
    return found


def _check_keys(record: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(record) - known - READ_ONLY)
    if unknown:
        raise RecordError(f"{where}{unknown[0]}", f"not a field (the fields are "
                          f"{', '.join(sorted(known))})")


def _distribution(dataset: NamedNode, id: str, item: Any, number: int) -> Iterator[Triple]:
    where = f"distributions[{number - 1}]"
    if not isinstance(item, dict):
        raise RecordError(where, "a distribution is a JSON object")
    _check_keys(item, {f.key for f in DISTRIBUTION.fields}, f"{where}.")
    iri = item.get("iri")
    subject = _iri(iri, f"{where}.iri") if iri else \
        NamedNode(f"{DISTRIBUTION.iri_prefix}{id}/{number}")
    yield Triple(dataset, DCAT.distribution, subject)
    yield Triple(subject, RDF.type, DCAT.Distribution)
    yield from _texts(subject, DCT.title, item.get("title"), f"{where}.title")
    for key, predicate in (("format", DCT.format), ("mediaType", DCAT.mediaType),
                           ("downloadURL", DCAT.downloadURL), ("accessURL", DCAT.accessURL),
                           ("license", DCT.license), ("accessRights", DCT.accessRights)):
        if item.get(key) is not None:
            yield Triple(subject, predicate, _iri(item[key], f"{where}.{key}"))
    size = item.get("byteSize")
    if size is not None:
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise RecordError(f"{where}.byteSize", "a whole number of bytes, 0 or more")
        yield Triple(subject, DCAT.byteSize, Literal(str(size), datatype=XSD.nonNegativeInteger))


def _iri(value: Any, field: str) -> NamedNode:
    if isinstance(value, dict):
        value = value.get("iri")
    if not isinstance(value, str) or not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", value):
        raise RecordError(field, "an absolute IRI (or {\"iri\": ...})")
    try:
        return NamedNode(value)
    except ValueError as bad:
        raise RecordError(field, f"not an IRI: {bad}") from bad


def _texts(subject: NamedNode, predicate: NamedNode, value: Any, field: str) -> list[Triple]:
    if value is None:
        return []
    if isinstance(value, str):
        value = {"vi": value}
    if not isinstance(value, dict) or not all(isinstance(t, str) for t in value.values()):
        raise RecordError(field, 'texts by language: {"vi": "...", "en": "..."}')
    found = []
    for lang, text in value.items():
        if not LANGUAGE.fullmatch(lang):
            raise RecordError(f"{field}.{lang}", "not a language tag")
        if text.strip():
            found.append(Triple(subject, predicate, Literal(text.strip()) if lang == "und"
                                else Literal(text.strip(), language=lang)))
    return found


def _list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(field, "a list")
    return value


def _date(value: Any, field: str) -> Literal:
    if isinstance(value, str) and DATE.fullmatch(value):
        return Literal(value, datatype=XSD.date)
    if isinstance(value, str) and DATE_TIME.fullmatch(value):
        return Literal(value, datatype=XSD.dateTime)
    raise RecordError(field, "a date (YYYY-MM-DD) or a date and time")


def _keywords(subject: NamedNode, value: Any) -> list[Triple]:
    if value is None:
        return []
    by_language = {"vi": value} if isinstance(value, list) else value
    if not isinstance(by_language, dict):
        raise RecordError("keywords", 'a list of words, or {"vi": [...], "en": [...]}')
    found = []
    for lang, words in by_language.items():
        if not LANGUAGE.fullmatch(lang) or not isinstance(words, list) or \
                not all(isinstance(w, str) for w in words):
            raise RecordError(f"keywords.{lang}", "a list of words of one language")
        found += [Triple(subject, DCAT.keyword, Literal(w.strip(), language=lang))
                  for w in words if w.strip()]
    return found


def _period(subject: NamedNode, start: Any, end: Any) -> list[Triple]:
    if start is None and end is None:
        return []
    period = NamedNode(f"{subject.value}/period")
    found = [Triple(subject, DCT.temporal, period), Triple(period, RDF.type, DCT.PeriodOfTime)]
    if start is not None:
        found.append(Triple(period, DCAT.startDate, _date(start, "startDate")))
    if end is not None:
        found.append(Triple(period, DCAT.endDate, _date(end, "endDate")))
    return found


def _contact(subject: NamedNode, name: Any, email: Any) -> list[Triple]:
    if name is None and email is None:
        return []
    contact = NamedNode(f"{subject.value}/contact")
    found = [Triple(subject, DCAT.contactPoint, contact),
             Triple(contact, RDF.type, VCARD.Organization)]
    if name is not None:
        if not isinstance(name, str):
            raise RecordError("contactName", "text")
        found.append(Triple(contact, VCARD.fn, Literal(name.strip(), language="vi")))
    if email is not None:
        if not isinstance(email, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise RecordError("contactEmail", "an e-mail address")
        found.append(Triple(contact, VCARD.hasEmail, NamedNode(f"mailto:{email}")))
    return found
