"""`kg harvest add | list | run | remove` on an on-disk demo store and a CKAN portal on
127.0.0.1, as an administrator types them."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.loaders.fake_portals import Site, package, serving
from web.cli import kg


def test_the_harvest_commands(runner: CliRunner, demo_store: str) -> None:
    site = Site(packages=[package(1), package(2, notes="")])
    with serving(site) as url:
        def run(*args: str) -> tuple[int, str]:
            result = runner.invoke(kg, ["--store", demo_store, "harvest", *args])
            return result.exit_code, result.output

        code, out = run("add", "hmt", "--kind", "ckan", "--url", url, "--publisher", "vusta",
                        "--title", "Hội Môi trường", "--licence", "CC0", "--allow-private")
        assert code == 0, out
        code, out = run("add", "bad", "--kind", "ckan", "--url", url, "--publisher", "nobody",
                        "--title", "X")
        assert code == 1 and "Nothing was changed" in out and "registry" in out
        code, out = run("list", "--json")
        [listed] = json.loads(out)
        assert (listed["slug"], listed["kind"], listed["url"]) == ("hmt", "ckan", url)
        code, out = run("run", "hmt")
        assert code == 0, out
        assert "2 datasets seen, 1 loaded, 1 quarantined" in out
        assert "quarantined https://data.vusta.vn/id/dataset/hmt-00000002" in out
        assert "description" in out.lower()
        code, out = run("run")
        assert code == 0 and "unchanged at the source (304)" in out
        code, out = run("run", "nothing-here")
        assert code == 1 and "no such source" in out
        code, out = run("remove", "hmt")
        assert code == 0 and "graph https://data.vusta.vn/graph/harvest/hmt dropped" in out
        code, out = run("list")
        assert code == 0 and out.strip() == ""
