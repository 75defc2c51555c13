"""`summary` and `metrics` include imported workspace layers, marked as such (command line, run in-process)."""

from __future__ import annotations

import json

import pytest

from pipeline.__main__ import main
from pipeline.core import settings
from tests.conftest import ROOT

FIXTURE = ROOT / "tests" / "data" / "imports" / "acled-clean.csv"


@pytest.fixture()
def cli(workspace_backend, capsys):
    """Run ``python -m pipeline ARGS`` in this process against an empty workspace (each backend in turn):
    (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_imported_layer_shows_in_summary_and_metrics(cli):
    code, out, _ = cli("summary")
    assert code == 0 and json.loads(out)["workspace"] == {}

    code, out, err = cli("import", str(FIXTURE), "--as", "acled")
    assert code == 0, err
    report = json.loads(out)
    assert report["accepted"] > 0

    summary = json.loads(cli("summary")[1])
    (name, layer), = summary["workspace"].items()
    assert layer["workspace"] is True and layer["acled"] is True
    assert layer["rows"] == report["accepted"]
    assert "blocks" in summary["layers"]  # the shipped layers are still listed apart

    metrics = json.loads(cli("metrics", "--on", "2023-12-03", "--window", "3")[1])
    ws = metrics["workspace"][name]
    assert ws["workspace"] is True and ws["acled"] is True
    assert ws["count"] == 3  # the fixture's events of 1, 2 and 3 December
    assert ws["fatalities"] == 0 + 1 + 2
    assert metrics["strikes"]["count"] >= 0 and "workspace" not in metrics["strikes"]


def test_metrics_rejects_a_date_that_is_not_one(cli):
    code, out, err = cli("metrics", "--on", "2023-13-45")
    assert code == 2 and out == ""
    assert err.startswith("error:") and "2023-13-45" in err


def test_a_malformed_setting_is_one_error_line_naming_the_variable(cli, monkeypatch):
    monkeypatch.setenv("GDM_MAX_UPLOAD_MB", "abc")
    code, out, err = cli("summary")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "error: GDM_MAX_UPLOAD_MB='abc' is not valid: setting 'max_upload_mb' accepts a whole number, "
        f"at least 1 (default {settings.MAX_UPLOAD_MB.default}); fix or unset the variable"]
    monkeypatch.setenv("GDM_MAX_UPLOAD_MB", "0")
    assert "accepts a whole number, at least 1" in cli("summary")[2]
    monkeypatch.setenv("GDM_MAX_UPLOAD_MB", "7")
    monkeypatch.setenv("GDM_STRIP_TOLERANCE_M", "nan")
    assert "GDM_STRIP_TOLERANCE_M='nan' is not valid: setting 'strip_tolerance_m' accepts a number" in cli("summary")[2]
    monkeypatch.setenv("GDM_STRIP_TOLERANCE_M", "250")
    monkeypatch.setenv("GDM_DEFAULT_DATE", "2 Dec 2023")
    assert "accepts a date written YYYY-MM-DD" in cli("summary")[2]


def test_a_damaged_bundle_is_named_with_the_rebuild_command(cli, tmp_path):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    shipped = json.loads((ROOT / "geodata" / "bundle" / "manifest.json").read_text(encoding="utf-8"))
    (bundle / "manifest.json").write_text(json.dumps({"layers": {"blocks": shipped["layers"]["blocks"]}}))
    (bundle / "blocks.parquet").write_bytes((ROOT / "geodata" / "bundle" / "blocks.parquet").read_bytes()[:5000])
    code, out, err = cli("summary", "--bundle", str(bundle))
    assert code == 2 and out == ""
    assert err == (f"error: the bundle's layer file {bundle / 'blocks.parquet'} (layer 'blocks') is damaged: its "
                   f"sha256 differs from the one the build recorded in {bundle / 'manifest.json'}; rebuild it with "
                   "`python -m pipeline build` (or check it with `python -m pipeline check`)\n")
    (bundle / "blocks.parquet").unlink()
    assert "(layer 'blocks') is missing" in cli("summary", "--bundle", str(bundle))[2]
    (bundle / "manifest.json").write_text(json.dumps({"layers": {"blocks": {"file": "blocks.parquet"}}}))
    assert "lacks rows, crs, bbox, sha256 for layer 'blocks'" in cli("summary", "--bundle", str(bundle))[2]
    (bundle / "manifest.json").write_text("{not json")
    code, out, err = cli("summary", "--bundle", str(bundle))
    assert code == 2 and err.startswith("error: the bundle's manifest") and "python -m pipeline build" in err
