"""A harvested source told record by record: digests that depend on the triples and the
context only (not the syntax, the spacing or the order of runs), the triples of some records
read back as the profile reads them, and the record digest tables the store keeps."""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import NamedNode, RdfFormat, Triple, parse, serialize

from graph.namespaces import DCAT
from graph.record_digests import ALTERED, DigestTables, changed_records
from loaders.dcat_normalise import context, normalise
from loaders.harvested_records import HarvestedRecords

VUSTA = NamedNode("https://data.vusta.vn/id/org/vusta")
TURTLE = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://example.org/a> a dcat:Dataset ; dct:title "A" ; dct:publisher <https://x.example/p> ;
  dcat:distribution <https://example.org/a/csv> .
<https://example.org/a/csv> a dcat:Distribution ; dct:format "csv" .
<https://example.org/b> a dcat:Dataset ; dct:title "B"@en .
"""


def as_ntriples(turtle: bytes) -> bytes:
    return serialize((q.triple for q in parse(turtle, RdfFormat.TURTLE)),
                     format=RdfFormat.N_TRIPLES) or b""


def read(text: bytes, language: str = "vi", *pages: bytes) -> HarvestedRecords:
    records = HarvestedRecords(context(VUSTA, language),
                               lambda found: normalise(found, VUSTA, language))
    for page in (text, *pages):
        records.add(page)
    return records


def test_a_record_s_digest_is_its_triples_and_context_not_their_writing() -> None:
    text = as_ntriples(TURTLE)
    digests = read(text).version().digests
    assert digests is not None and set(digests) == {
        "<https://example.org/a>", "<https://example.org/a/csv>", "<https://example.org/b>"}
    # The same triples as N-Triples spelt otherwise, and in another order, read the same.
    lines = text.splitlines(keepends=True)
    assert read(b"".join(reversed(lines))).version().digests == digests
    # A record's lines split over two pages count as one record.
    first = [line for line in lines if b"/a> " in line]
    rest = [line for line in lines if line not in first]
    split = read(b"".join(first[:1] + rest), "vi", b"".join(first[1:])).version().digests
    assert split == digests
    # One changed value changes that record's digest only.
    edited = read(text.replace(b'"B"@en', b'"B2"@en')).version().digests
    assert edited is not None
    assert changed_records(digests, edited) == {"<https://example.org/b>"}
    # The same lines read in another language are other records.
    english = read(text, "en").version().digests
    assert english is not None and not set(english.items()) & set(digests.items())


def test_the_triples_of_some_records_are_read_as_among_all() -> None:
    records = read(as_ntriples(TURTLE))
    everything = set(records.triples())
    some = set(records.triples({"<https://example.org/a>", "<https://example.org/a/csv>"}))
    assert some == {t for t in everything if t.subject.value.startswith("https://example.org/a")}
    # Read as the profile reads them: the text tagged, the format matched, the publisher
    # that is not a member kept as creator and the source's organisation publishing.
    title = next(t for t in some if t.predicate.value.endswith("title"))
    assert title.object.language == "vi"
    assert Triple(NamedNode("https://example.org/a"),
                  NamedNode("http://purl.org/dc/terms/publisher"), VUSTA) in some
    assert records.typed(DCAT.Dataset) == {"https://example.org/a", "https://example.org/b"}
    assert records.triples(set()) == []


def test_blank_nodes_leave_records_without_digests() -> None:
    text = as_ntriples(TURTLE + b'<https://example.org/b> <http://www.w3.org/ns/dcat#contactPoint>'
                                b' [ <http://www.w3.org/2006/vcard/ns#fn> "C" ] .')
    version = read(text).version()
    assert version.digests is None
    assert len(list(version)) == len(read(text).triples())


def test_digest_tables_by_token(tmp_path: Path) -> None:
    for tables in (DigestTables(tmp_path / "tables"), DigestTables(None)):
        token = tables.write({"<https://example.org/a>": 2**70 + 5,
                              "<https://example.org/b>": ALTERED})
        assert tables.read(token) == {"<https://example.org/a>": 2**70 + 5,
                                      "<https://example.org/b>": ALTERED}
        other = tables.write({})
        tables.keep_only([other])
        assert tables.read(token) is None and tables.read(other) == {}
        # A token that is not one the tables made names no file.
        assert tables.read("../../etc/passwd") is None
    assert [p.suffix for p in (tmp_path / "tables").iterdir()] == [".digests"]
    assert changed_records({"a": 1, "b": 2, "c": ALTERED}, {"a": 1, "b": 3, "c": ALTERED,
                                                         "d": 4}) == {"b", "c", "d"}
    assert changed_records({"a": 1, "gone": 5}, {"a": 1}) == {"gone"}
