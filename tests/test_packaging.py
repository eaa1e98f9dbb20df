"""`pip install .` (a wheel, not editable) gives a working `kg` that finds its data files."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

from tests.conftest import ROOT


def test_wheel_installs_into_a_clean_venv_and_runs_the_demo(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
                    str(ROOT)], check=True, timeout=300)
    wheel = next(wheels.glob("vusta_kg-*.whl"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    pip, kg = env_dir / "bin" / "pip", env_dir / "bin" / "kg"
    subprocess.run([str(pip), "install", "-q", str(wheel)], check=True, timeout=600)
    work = tmp_path / "elsewhere"   # not the checkout, so only the wheel can be imported
    work.mkdir()
    demo = subprocess.run([str(kg), "--store", "s", "demo"], cwd=work, capture_output=True,
                          text=True, timeout=300)
    assert demo.returncode == 0, demo.stderr
    assert "vocabularies: 8 graphs" in demo.stdout
    answer = subprocess.run([str(kg), "--store", "s", "query", "--format", "csv",
                             "SELECT (COUNT(*) AS ?n) { ?c a skos:ConceptScheme }"],
                            cwd=work, capture_output=True, text=True, timeout=60, check=True)
    assert answer.stdout.split() == ["n", "11"]
    shipped = subprocess.run([str(env_dir / "bin" / "python"), "-c",
                              "import graph.resources as r; print(r.shape_names(), "
                              "r.ontology_names())"],
                             cwd=work, capture_output=True, text=True, timeout=60, check=True)
    assert "site-packages" not in shipped.stderr
    assert "'kg'" in shipped.stdout
