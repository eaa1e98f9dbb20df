"""Imported first by every benchmark: ``bench/http.py`` (a name the issue fixes) would hide
the standard library's ``http`` package from any script run from this folder, and with it
``http.client`` and ``urllib.request``. Importing the real one here, with this folder taken off
``sys.path`` for that moment, puts it in ``sys.modules`` for everything that follows."""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
_saved = list(sys.path)
sys.path[:] = [p for p in sys.path if p not in ("", ".", _HERE)]
import http.client  # noqa: E402,F401
import urllib.request  # noqa: E402,F401

sys.path[:] = _saved
