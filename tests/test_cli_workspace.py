"""`summary` and `metrics` include imported workspace layers, marked as such (command line)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

FIXTURE = ROOT / "tests" / "data" / "imports" / "acled-clean.csv"


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True,
                          text=True, env=env)


def test_imported_layer_shows_in_summary_and_metrics(tmp_path):
    env = {**os.environ, "GDM_WORKSPACE_DIR": str(tmp_path / "ws")}
    empty = json.loads(_run("summary", env=env).stdout)
    assert empty["workspace"] == {}

    imported = _run("import", str(FIXTURE), "--as", "acled", env=env)
    assert imported.returncode == 0, imported.stderr
    report = json.loads(imported.stdout)
    assert report["accepted"] > 0

    summary = json.loads(_run("summary", env=env).stdout)
    (name, layer), = summary["workspace"].items()
    assert layer["workspace"] is True and layer["acled"] is True
    assert layer["rows"] == report["accepted"]
    assert "blocks" in summary["layers"]  # the shipped layers are still listed apart

    metrics = json.loads(_run("metrics", "--on", "2023-12-03", "--window", "3", env=env).stdout)
    ws = metrics["workspace"][name]
    assert ws["workspace"] is True and ws["acled"] is True
    assert ws["count"] == 3  # the fixture's events of 1, 2 and 3 December
    assert ws["fatalities"] == 0 + 1 + 2
    assert metrics["strikes"]["count"] >= 0 and "workspace" not in metrics["strikes"]


def test_metrics_rejects_a_date_that_is_not_one(tmp_path):
    env = {**os.environ, "GDM_WORKSPACE_DIR": str(tmp_path / "ws")}
    out = _run("metrics", "--on", "2023-13-45", env=env)
    assert out.returncode == 2
    assert "error:" in out.stderr and "2023-13-45" in out.stderr
