"""Text folding for matching Vietnamese names typed with or without diacritics."""

from __future__ import annotations

import unicodedata

# Unicode decomposition leaves đ/Đ alone (it is a letter, not d plus a mark), so fold it here.
_EXTRA = str.maketrans({"đ": "d", "Đ": "d", "ð": "d"})


def fold(text: str) -> str:
    """Lower case, no diacritics, single spaces.

    >>> fold("  Đồng   Tháp ")
    'dong thap'
    >>> fold("Thừa Thiên Huế") == fold("thua thien hue")
    True
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(bare.casefold().split())
