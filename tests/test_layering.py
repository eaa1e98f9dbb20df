"""Imports point downwards (web -> loaders -> graph), and only graph/ and the ingest pipeline
write to the store."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {"graph": {"graph"}, "loaders": {"graph", "loaders"},
           "web": {"graph", "loaders", "web"}}
WRITES = {"replace_graph", "update", "drop_graph", "restore", "bulk_load", "bulk_extend"}
WRITERS = {Path("loaders/ingest.py")}


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_only_point_downwards(package: str) -> None:
    for path in modules(package):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in ALLOWED:
                    assert top in ALLOWED[package], f"{path.relative_to(ROOT)} imports {name}"


@pytest.mark.parametrize("package", ["loaders", "web"])
def test_only_the_ingest_pipeline_writes_to_the_store(package: str) -> None:
    for path in modules(package):
        if path.relative_to(ROOT) in WRITERS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in WRITES:
                receiver = ast.unparse(node.func.value)
                assert "store" not in receiver.lower(), \
                    f"{path.relative_to(ROOT)}:{node.lineno} writes to the store: {receiver}"
