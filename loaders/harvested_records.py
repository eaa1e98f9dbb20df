"""A harvested source read record by record (``RecordVersion``): its pages as N-Triples, each
record's digest, and the triples of any records on request, so that a re-harvest stages,
checks and writes only the records that changed at the source.

A record is a subject. Its digest is the sum of a checksum pair (CRC-32 and Adler-32) of each
of its lines as pyoxigraph writes them, so neither the source's syntax and spacing nor the
order of its statements matter (portals that write from hash sets change it from one run to
the next), plus the ``context`` the harvest reads them in (the organisation, the language, the
rules of ``loaders.dcat_normalise``): the same lines read in another way are another record.
The pair finds accidental changes, which is what a harvest meets, at the cost of one pass
(a keyed BLAKE2 per line took twice as long). A record's lines mostly come one after the
other; each run of them is kept as a place in its page, so that a few records' triples are
read back without parsing the whole source again.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from collections.abc import Callable, Collection

from pyoxigraph import NamedNode, RdfFormat, Triple, parse

from graph.namespaces import RDF
from graph.store import RecordVersion

# Where a run of a record's lines is: page, start and end (bytes).
Place = tuple[int, int, int]


class HarvestedRecords:
    """The pages of one harvest, told record by record; ``read`` makes the triples of some
    records what the profile reads (it must look at nothing but those triples)."""

    def __init__(self, context: bytes, read: Callable[[list[Triple]], list[Triple]]) -> None:
        self._context = int.from_bytes(hashlib.blake2b(context, digest_size=8).digest())
        self._read = read
        self._pages: list[bytes] = []
        self._digests: dict[str, int] = {}
        self._places: dict[str, list[Place]] = {}
        self._blank = False

    def add(self, text: bytes) -> None:
        """One page, as N-Triples written by pyoxigraph (one triple per line)."""
        number = len(self._pages)
        self._pages.append(text)
        # Blank nodes are named anew by every read: no record that holds one could be
        # matched with its last version. (A literal with " _:" in it costs only the shortcut.)
        self._blank = self._blank or text.startswith(b"_:") or b"\n_:" in text or \
            b" _:" in text
        crc, adler = zlib.crc32, zlib.adler32
        prefix = b""
        total = start = position = 0
        for line in io.BytesIO(text):
            if prefix and line.startswith(prefix):
                total += crc(line) << 32 | adler(line)
            else:
                if prefix:
                    self._close(prefix, total, (number, start, position))
                prefix = line[:line.find(b" ") + 1]
                total = crc(line) << 32 | adler(line)
                start = position
            position += len(line)
        if prefix:
            self._close(prefix, total, (number, start, position))

    def _close(self, prefix: bytes, total: int, place: Place) -> None:
        record = prefix[:-1].decode()
        digests = self._digests
        digests[record] = digests.get(record, self._context) + total
        self._places.setdefault(record, []).append(place)

    def typed(self, cls: NamedNode) -> set[str]:
        """The IRIs of the records that say they are a ``cls``."""
        needle = f" {RDF.type} {cls} .\n".encode()
        found: set[str] = set()
        for text in self._pages:
            at = text.find(needle)
            while at >= 0:
                subject = text[text.rfind(b"\n", 0, at) + 1:at]
                if subject.startswith(b"<"):
                    found.add(subject[1:-1].decode())
                at = text.find(needle, at + len(needle))
        return found

    def triples(self, records: Collection[str] | None = None) -> list[Triple]:
        """The triples of ``records`` (N-Triples IRIs), or of every record, as ``read`` makes
        them."""
        if records is None:
            chunks = self._pages    # page by page: a big source is not copied whole
        else:
            places = sorted(place for record in records
                            for place in self._places.get(record, ()))
            chunks = [b"".join(self._pages[page][start:end] for page, start, end in places)]
        return self._read([quad.triple for chunk in chunks
                           for quad in parse(chunk, RdfFormat.N_TRIPLES)])

    def version(self) -> RecordVersion:
        """The source's new version, for the store (``GraphStore.replace_graph``)."""
        return RecordVersion(None if self._blank else self._digests, self.triples)
