"""The README and the code say the same things."""

from __future__ import annotations

import re
from pathlib import Path

import click

from web.cli import kg

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group, prefix: str = "kg") -> list[str]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += commands(command, f"{prefix} {name}")
        else:
            found.append(f"{prefix} {name}")
    return found


def test_every_command_is_in_the_readme() -> None:
    for command in commands(kg):
        assert f"`{command}" in README, f"README does not document `{command}`"


def test_ci_runs_exactly_the_readme_test_command() -> None:
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    assert len(blocks) >= 2, "the README starts with two commands"
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert run == blocks[1].strip()


def test_every_environment_variable_is_documented() -> None:
    used = set()
    for path in [*ROOT.glob("graph/**/*.py"), *ROOT.glob("web/**/*.py"),
                 *ROOT.glob("loaders/**/*.py"), ROOT / "tests" / "conftest.py"]:
        used |= set(re.findall(r"\b(KG_[A-Z_]+)\b", path.read_text(encoding="utf-8")))
    for name in used:
        assert f"`{name}`" in README, f"{name} is not in the README's configuration table"
