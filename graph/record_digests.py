"""Each record's digest from the last load of a graph (``RecordVersion``), kept beside the store
so that the next load of the same source stages, checks and writes only the records whose
digest changed, without reading the old version back (dumping 4.6 million triples off the
disk took 70 s of a 187 s re-harvest).

A table is a file named by a fresh token, written before the commit whose provenance names
it (``kg:recordDigests``). Every other write of the graph drops the name in its own
transaction (a load without digests rewrites the provenance, a SPARQL update removes every
name, a drop forgets the graph), so a table is only ever read for exactly the graph state it
describes; a token whose file is missing (a crash, a restore elsewhere) reads as no table.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

# The digest of a record that the gate changed (quarantine took it, or links from it, out):
# equal to no source's digest, so the record is staged again on every load until it passes.
ALTERED = -1
_SUFFIX = ".digests"


class DigestTables:
    """Record digest tables by token: files in ``folder``, or in memory (``folder=None``)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._held: dict[str, dict[str, int]] = {}

    def read(self, token: str) -> dict[str, int] | None:
        """The table named ``token``; None when there is none."""
        if self.folder is None:
            held = self._held.get(token)
            return dict(held) if held is not None else None
        try:
            text = (self.folder / f"{_name(token)}{_SUFFIX}").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        table: dict[str, int] = {}
        for line in text.splitlines():
            digest, _, record = line.partition(" ")
            try:
                table[record] = int(digest, 16)
            except ValueError:
                return None     # not a table this module wrote
        return table

    def write(self, table: Mapping[str, int]) -> str:
        """Keep ``table`` under a new token, and return the token."""
        token = uuid.uuid4().hex
        if self.folder is None:
            self._held[token] = dict(table)
            return token
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / f"{token}{_SUFFIX}"
        partial = final.with_suffix(".partial")
        with partial.open("w", encoding="utf-8") as out:
            out.writelines(f"{digest:x} {record}\n" for record, digest in table.items())
        os.replace(partial, final)
        return token

    def held(self) -> bool:
        """Whether any table (or a partial one) is kept."""
        if self.folder is None:
            return bool(self._held)
        return self.folder.is_dir() and any(self.folder.iterdir())

    def keep_only(self, tokens: Iterable[str]) -> None:
        """Remove every table but those named by ``tokens``."""
        kept = set(tokens)
        if self.folder is None:
            for token in set(self._held) - kept:
                del self._held[token]
            return
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.name.removesuffix(_SUFFIX).removesuffix(".partial") not in kept:
                path.unlink(missing_ok=True)


def _name(token: str) -> str:
    # The token comes out of the store's provenance graph: it names a file only when it is
    # one this module made.
    if len(token) != 32 or any(c not in "0123456789abcdef" for c in token):
        return "not-a-token"
    return token


def changed_records(old: Mapping[str, int], new: Mapping[str, int]) -> set[str]:
    """The records whose digest differs, with those in only one of the two tables."""
    found = {record for record, digest in new.items()
             if digest == ALTERED or old.get(record) != digest}
    found.update(record for record, digest in old.items()
                 if digest == ALTERED or record not in new)
    return found
