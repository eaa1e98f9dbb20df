"""The one place that knows where the ontologies and shapes are.

``ontologies/`` and ``shapes/`` are data-only packages, so the same import name
finds them in a checkout and in an installed wheel.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable


def _turtle_files(package: str) -> dict[str, Traversable]:
    return {
        entry.name.removesuffix(".ttl"): entry
        for entry in sorted(files(package).iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".ttl")
    }


def ontology_names() -> list[str]:
    """The vocabularies shipped with the service.

    >>> "kg" in ontology_names() and "themes" in ontology_names()
    True
    """
    return list(_turtle_files("ontologies"))


def ontology(name: str) -> bytes:
    """The Turtle text of one shipped vocabulary."""
    try:
        return _turtle_files("ontologies")[name].read_bytes()
    except KeyError:
        known = ", ".join(ontology_names())
        raise KeyError(f"no ontology named {name!r}; known: {known}") from None


def shape_names() -> list[str]:
    """The SHACL shape files shipped with the service."""
    return list(_turtle_files("shapes"))


def shapes(name: str) -> bytes:
    """The Turtle text of one shipped shapes file."""
    return _turtle_files("shapes")[name].read_bytes()


def profile_shape_names(profile: str) -> list[str]:
    """The shapes an export profile's output is checked against (``shapes/<profile>/``);
    they judge what the service writes, not what it loads, so the gate does not read them.

    >>> profile_shape_names("dcat-ap")
    ['mandatory', 'range']
    """
    folder = files("shapes") / profile
    return sorted(e.name.removesuffix(".ttl") for e in folder.iterdir() if e.name.endswith(".ttl"))


def profile_shapes(profile: str, name: str) -> bytes:
    """The Turtle text of one of an export profile's shapes files."""
    return (files("shapes") / profile / f"{name}.ttl").read_bytes()
