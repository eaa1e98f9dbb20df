"""Errors a person can act on: which file, which line or record, which field, why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input."""

    source: str
    message: str
    line: int | None = None
    record: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = [self.source]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.record:
            where.append(f"record {self.record!r}")
        if self.field:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: {self.message}"


class LoadError(Exception):
    """An input cannot be loaded; nothing was written.

    >>> str(LoadError([Problem("orgs.csv", "unknown province 'Hà Tây'", 4, "hoi-x", "province")]))
    "orgs.csv, line 4, record 'hoi-x', field 'province': unknown province 'Hà Tây'"
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class OutOfScopeError(LoadError):
    """A write would change records its token may not change; nothing was written."""
