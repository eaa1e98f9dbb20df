"""A reload told apart from the version it replaces without loading it into the store.

Writing a new version beside the old one and removing it again costs the store more than the
first load did: removing a triple is some forty times slower than adding one (FACTS.md), and
a harvest that found 1 % of 100,000 datasets changed spent 320 s removing the staged copy,
100 s comparing the two versions and 50 s writing the copy (profiled). Both versions are read
here instead as canonical N-Triples lines and compared by key, and only the records that
changed, with those that link to them, are staged and checked (``StagedDifference``).
"""

from __future__ import annotations

from collections.abc import Iterable

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store, Triple, serialize

from graph.namespaces import RDF, XSD

# Above this many changed records the whole new version is staged and checked.
MOST_CHANGED = 20_000
_VALUE = NamedNode("urn:kg:literal")


def _key(line: bytes) -> int:
    # The line's hash and its length, 80 bits: two different lines with the same key would
    # hide a change. Python's own hash is the one fast enough (a cryptographic digest took
    # 28 s for the passes over 4.6 million lines, this a third of it).
    return (hash(line) << 16) | (len(line) & 0xFFFF)


def _subject(line: bytes) -> bytes:
    return line[:line.index(b" ")]


def _canonical(literals: set[Literal]) -> dict[Literal, Literal]:
    """Each literal as the store keeps it, where that differs: the store canonicalises
    typed values (``"007"^^xsd:nonNegativeInteger`` is ``"7"^^xsd:integer``, ``"1"^^xsd:boolean``
    ``"true"``) and language tags (``en-US`` is ``en-us``). Asked of the engine itself, in a
    memory store, so that the two always agree."""
    ordered = list(literals)
    engine = Store()
    engine.bulk_extend(Quad(NamedNode(f"urn:kg:literal:{i}"), _VALUE, literal)
                       for i, literal in enumerate(ordered))
    found: dict[Literal, Literal] = {}
    for quad in engine.quads_for_pattern(None, _VALUE, None):
        subject, value = quad.subject, quad.object
        if isinstance(subject, NamedNode) and isinstance(value, Literal):
            original = ordered[int(subject.value.rsplit(":", 1)[1])]
            if value != original:
                found[original] = value
    return found


def as_ntriples(data: Iterable[Quad | Triple]) -> bytes:
    """``data`` as N-Triples, its literals as the store writes them (quads lose their
    graph): lines that compare with what the store dumps."""
    triples = [item.triple if isinstance(item, Quad) else item for item in data]
    plain = (XSD.string, RDF.langString)
    # Only typed values and tags with capitals can change; most literals are neither.
    changeable = {t.object for t in triples if isinstance(t.object, Literal) and (
        t.object.datatype not in plain
        or (t.object.language or "").lower() != (t.object.language or ""))}
    canonical = _canonical(changeable) if changeable else {}
    if canonical:
        triples = [Triple(t.subject, t.predicate, canonical[t.object])
                   if isinstance(t.object, Literal) and t.object in canonical else t
                   for t in triples]
    return serialize(triples, format=RdfFormat.N_TRIPLES) or b""


def changed_subjects(old: bytes, new: bytes) -> set[bytes] | None:
    """The subjects (N-Triples) with a triple that only one of two versions (N-Triples, as
    the store writes them) holds; None when they are more than ``MOST_CHANGED`` or either
    version names blank nodes (a reload gives every one a new name, so no record could be
    matched)."""
    if b"_:" in old or b"_:" in new:
        return None
    fresh = {_key(line) for line in new.split(b"\n") if line}
    kept: set[int] = set()
    changed: set[bytes] = set()
    for line in old.split(b"\n"):
        if line:
            key = _key(line)
            kept.add(key)
            if key not in fresh:
                changed.add(_subject(line))
    del fresh
    for line in new.split(b"\n"):
        if line and _key(line) not in kept:
            changed.add(_subject(line))
    return None if len(changed) > MOST_CHANGED else changed


def lines_of(new: bytes, subjects: set[bytes]) -> bytes:
    """The triples of ``subjects`` in ``new`` (both N-Triples)."""
    return b"".join(line + b"\n" for line in new.split(b"\n")
                    if line and line[:line.find(b" ")] in subjects)
