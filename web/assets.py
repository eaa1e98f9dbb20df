"""Front-end libraries the pages use (Leaflet for maps, YASGUI for the SPARQL editor), fetched
once from the npm registry and served by the service itself, never from a CDN.

They are not in the repository: ``kg assets`` runs ``npm pack`` for the pinned versions,
checks each tarball against its pinned SHA-512 and unpacks the files the pages need into
``ASSETS_DIR`` (default ``data/assets``). Without them the pages still work: the map is left
out and the SPARQL editor is a plain form.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from werkzeug.wrappers import Response


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    sha512: str
    files: tuple[str, ...]  # inside the tarball's package/ folder; kept with their sub-path

    @property
    def folder(self) -> str:
        return self.name.rsplit("/", 1)[-1]


PACKAGES = (
    Package("leaflet", "1.9.4",
            "9f14b5ca7cc93a63a51e9fa22f71725aa2bcf46b4d2fc53caef94c3ac41d4d3b2cc59c025e1f0dd8d"
            "07718340e2fe611dd79d6c99031c108b15116fe140ef83c",
            ("dist/leaflet.js", "dist/leaflet.css", "dist/images/layers.png",
             "dist/images/layers-2x.png", "dist/images/marker-icon.png",
             "dist/images/marker-icon-2x.png", "dist/images/marker-shadow.png", "LICENSE")),
    Package("@zazuko/yasgui", "4.6.2",
            "670e3929d3e8004d4a45a028c481dd42a789c6f6951b5a10767b70d21cb492d5f7e59bbc65c72e38ba"
            "d708bc11f8653ed313332f0f0c8f0e81912655daf52e43",
            # No LICENSE file in the package: its package.json names the licence (MIT).
            ("build/yasgui.min.js", "build/yasgui.min.css", "package.json")),
)

bp = Blueprint("assets", __name__)


class AssetError(RuntimeError):
    """npm is missing, the registry cannot be reached, or a tarball is not the pinned one."""


def fetch_assets(target: Path, npm: str = "npm") -> list[Path]:
    """Put every pinned package's files under ``target/<package>/``; return what was written.
    A package already there in its pinned version is left alone."""
    if shutil.which(npm) is None:
        raise AssetError("npm is not installed (Debian: apt-get install npm); the pages work "
                         "without the map and with a plain SPARQL form")
    written: list[Path] = []
    for package in missing(target):
        folder = target / package.folder
        with tempfile.TemporaryDirectory(prefix="kg-assets-") as tmp:
            done = subprocess.run(  # noqa: S603 - fixed arguments, pinned versions
                [npm, "pack", f"{package.name}@{package.version}", "--silent"],
                cwd=tmp, capture_output=True, text=True, timeout=300, check=False)
            if done.returncode != 0:
                raise AssetError(f"npm pack {package.name}@{package.version} failed: "
                                 f"{done.stderr.strip()[-500:]}")
            tarball = next(Path(tmp).glob("*.tgz"))
            digest = hashlib.sha512(tarball.read_bytes()).hexdigest()
            if digest != package.sha512:
                raise AssetError(f"{tarball.name} is not the pinned {package.name} "
                                 f"{package.version} (sha512 {digest[:16]}…)")
            written += _unpack(tarball, package, folder)
        (folder / ".version").write_text(package.version)
    return written


def missing(target: Path) -> list[Package]:
    """The pinned packages not (or not in their pinned version) under ``target``."""
    found = []
    for package in PACKAGES:
        stamp = target / package.folder / ".version"
        if not (stamp.is_file() and stamp.read_text().strip() == package.version):
            found.append(package)
    return found


def _unpack(tarball: Path, package: Package, folder: Path) -> list[Path]:
    written = []
    with tarfile.open(tarball) as archive:
        for name in package.files:
            try:
                member = archive.extractfile(f"package/{name}")
            except KeyError:
                member = None
            if member is None:
                raise AssetError(f"{package.name} {package.version} has no {name}")
            path = folder / name.split("/", 1)[-1] if "/" in name else folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(member.read())
            written.append(path)
    return written


def assets_dir() -> Path:
    return Path(current_app.config["ASSETS_DIR"])


@bp.app_template_global("have_asset")
def have(folder: str) -> bool:
    """Whether the pages may use a package (its files were fetched)."""
    return all(p.folder != folder for p in missing(assets_dir()))


@bp.route("/assets/<path:path>")
def asset(path: str) -> Response:
    if path.startswith(".") or "/." in path:
        abort(404)
    response = send_from_directory(assets_dir().resolve(), path, max_age=7 * 24 * 3600)
    return response
