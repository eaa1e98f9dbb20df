"""Folding: the one-table translation gives what its definition says, for every character."""

from __future__ import annotations

import unicodedata

import pytest

from graph.text import fold


def by_definition(text: str) -> str:
    """Decompose, drop the combining marks, fold đ, case-fold, single spaces: step by step."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "d")
                                       .replace("ð", "d"))
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(bare.casefold().split())


@pytest.mark.parametrize("plane", range(0, 0x110000, 0x10000))
def test_every_character_folds_as_defined(plane: int) -> None:
    points = [p for p in range(plane, plane + 0x10000) if not 0xD800 <= p <= 0xDFFF]
    # Between ASCII neighbours, so that the ASCII shortcut is not what answers.
    wrong = [hex(p) for p in points if fold(f"x{chr(p)}A") != by_definition(f"x{chr(p)}A")]
    assert wrong == []


@pytest.mark.parametrize(("text", "folded"), [
    ("Thành phố Hồ Chí Minh", "thanh pho ho chi minh"),
    ("ĐẠI HỌC  Đà Nẵng", "dai hoc da nang"),
    ("Thừa Thiên Huế", "thua thien hue"),
    ("Tho\u0302\u0301ng ke\u0302", "thong ke"),  # already decomposed
    ("Straße ΣΊΣΥΦΟΣ", "strasse σισυφοσ"),
    ("plain ASCII  Text", "plain ascii text"),
])
def test_vietnamese_and_other_text(text: str, folded: str) -> None:
    assert fold(text) == folded
