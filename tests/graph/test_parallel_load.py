"""Loading one N-Triples file in pieces side by side: the same graph as one bulk load, cut
only at line ends, errors named by their line in the whole file, blank nodes kept whole."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, RdfFormat, Store

from graph.parallel_load import load_in_pieces, pieces

G = NamedNode("https://example.org/g")


def write_lines(path: Path, count: int, extra: str = "") -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            # Multi-byte text and lines of different lengths, so cuts fall anywhere.
            out.write(f'<https://example.org/s{i}> <https://example.org/p> '
                      f'"Hội {"Khoa học " * (i % 7)}{i}"@vi .\n')
        out.write(extra)
    return path


def as_sorted_lines(store: Store) -> list[bytes]:
    return sorted(store.dump(format=RdfFormat.N_QUADS).splitlines())


@pytest.mark.parametrize("count", [2, 3, 7])
def test_pieces_cut_at_line_ends_and_cover_the_file(tmp_path: Path, count: int) -> None:
    path = write_lines(tmp_path / "data.nt", 5_000)
    data = path.read_bytes()
    # Small scan blocks, so that cuts are looked for across block boundaries too.
    found = pieces(path, 1, len(data) // count, scan_bytes=4_099, smallest=0)
    assert found is not None and len(found) == count
    assert found[0].start == 0 and found[-1].end == len(data)
    for before, after in pairwise(found):
        assert before.end == after.start
        assert data[after.start - 1:after.start] == b"\n"
        assert after.first_line == data[:after.start].count(b"\n") + 1


def test_small_files_and_blank_nodes_are_loaded_whole(tmp_path: Path) -> None:
    plain = write_lines(tmp_path / "plain.nt", 5_000)
    assert pieces(plain, 2, 1_000) is None                    # under MIN_CUT_BYTES
    assert pieces(plain, 1, 1 << 30, smallest=0) is None      # one piece
    with_blank = write_lines(tmp_path / "blank.nt", 5_000,
                             '_:b1 <https://example.org/p> "x" .\n')
    assert pieces(with_blank, 2, 1_000, smallest=0) is None
    assert pieces(plain, 2, 1_000, smallest=0) is not None


def test_pieces_load_exactly_what_one_bulk_load_does(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "data.nt", 20_000)
    whole, cut = Store(str(tmp_path / "whole")), Store(str(tmp_path / "cut"))
    whole.bulk_load(path=str(path), format=RdfFormat.N_TRIPLES, to_graph=G)
    found = pieces(path, 2, path.stat().st_size // 4, smallest=0)
    assert found is not None and len(found) == 4
    read: list[int] = []
    load_in_pieces(cut, path, found, G, read.append, workers=2)
    assert len(cut) == len(whole) == 20_000
    assert as_sorted_lines(cut) == as_sorted_lines(whole)
    assert read[-1] == path.stat().st_size     # progress adds up every piece


def test_a_syntax_error_names_its_line_in_the_whole_file(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "data.nt", 20_000,
                       "<https://example.org/broken> <https://example.org/p> oops .\n")
    found = pieces(path, 3, 100_000, smallest=0)
    assert found is not None and found[-1].first_line > 1
    with pytest.raises(SyntaxError, match=r"line 20001\b") as caught:
        load_in_pieces(Store(str(tmp_path / "store")), path, found, G, None)
    assert caught.value.lineno == 20_001


def test_an_error_in_an_early_piece_stops_the_others_and_is_the_one_raised(
        tmp_path: Path) -> None:
    path = tmp_path / "data.nt"
    with path.open("w", encoding="utf-8") as out:
        out.write("<https://example.org/broken> <https://example.org/p> oops .\n")
    write_lines(tmp_path / "rest.nt", 200_000)
    with path.open("ab") as out:
        out.write((tmp_path / "rest.nt").read_bytes())
    found = pieces(path, 2, 1_000_000, smallest=0)
    assert found is not None
    with pytest.raises(SyntaxError, match=r"line 1\b"):
        load_in_pieces(Store(str(tmp_path / "store")), path, found, G, None)
