"""Turn a path or URL given by a user into local files: downloads and archives included."""

from __future__ import annotations

import shutil
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from loaders.errors import LoadError, Problem

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


def is_url(location: str) -> bool:
    """Whether a location is an http(s) URL rather than a path.

    >>> is_url("https://example.org/units.zip"), is_url("../shared/data")
    (True, False)
    """
    return urlparse(location).scheme in ("http", "https")


@contextmanager
def local_copy(location: str) -> Iterator[Path]:
    """A local path for ``location``: the path itself, a download, or an unpacked archive.

    Temporary files are removed when the block ends.
    """
    with tempfile.TemporaryDirectory(prefix="kg-fetch-") as tmp:
        path = Path(location)
        if is_url(location):
            name = Path(urlparse(location).path).name or "download"
            path = Path(tmp) / name
            try:
                with urllib.request.urlopen(location, timeout=60) as response, \
                        path.open("wb") as out:  # noqa: S310 - the scheme is checked above
                    shutil.copyfileobj(response, out)
            except OSError as error:
                raise LoadError([Problem(location, f"cannot download: {error}")]) from error
        elif not path.exists():
            raise LoadError([Problem(location, "no such file or folder")])
        if path.is_file() and path.name.lower().endswith(ARCHIVE_SUFFIXES):
            yield _unpack(path, Path(tmp) / "unpacked", location)
        else:
            yield path


def _unpack(archive: Path, target: Path, label: str) -> Path:
    target.mkdir()
    try:
        if archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as bundle:
                bundle.extractall(target)  # noqa: S202 - zipfile strips ".." and roots
        else:
            with tarfile.open(archive) as bundle:
                bundle.extractall(target, filter="data")
    except (zipfile.BadZipFile, tarfile.TarError, OSError) as error:
        raise LoadError([Problem(label, f"not a readable archive: {error}")]) from error
    entries = list(target.iterdir())
    # Archives usually hold one top folder; look inside it.
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else target
