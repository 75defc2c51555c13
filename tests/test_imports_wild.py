"""Imports of files as analysts really have them (issue 14), on small fixtures in tests/data/imports.

- ``arcgis-points.geojson``: an ArcGIS FeatureServer ``f=geojson`` result, 4 points with ``EventDate`` as
  epoch milliseconds (one at 23:30 UTC, which is the next day in Gaza) and one as epoch seconds, with
  ``"exceededTransferLimit": true`` (the server cut the result).
- ``arcgis-zones.geojson``: 2 polygons with ``StartDate``/``EndDate`` as epoch milliseconds (one ``EndDate`` null).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.core.dates import parse_date
from pipeline.runtime import imports, workspace

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "imports"


@pytest.fixture()
def ws(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "workspace"
    monkeypatch.setenv("GDM_WORKSPACE_DIR", str(root))
    return root


# ------------------------------------------------------------------ ArcGIS FeatureServer exports


@pytest.mark.parametrize(("value", "expected"), [
    ("1730986500000.0", "2024-11-07"),  # epoch ms as ArcGIS writes it (a float)
    (1730986500000.0, "2024-11-07"),
    ("1731022200000", "2024-11-08"),  # 23:30 UTC is 01:30 in Gaza
    ("1731196800", "2024-11-10"),  # epoch seconds
    ("2024-11-07T13:35:00Z", "2024-11-07"),  # ISO with a time
    ("11/7/2024 1:35:00 PM", "2024-11-07"),  # ArcGIS Hub CSV
    ("20231202", "2023-12-02"),  # 8 digits stay YYYYMMDD
])
def test_arcgis_date_forms_are_read(value, expected):
    assert str(parse_date(value)) == expected


def test_arcgis_points_with_epoch_dates_import_and_report_the_truncation(ws):
    rep = imports.import_file(DATA / "arcgis-points.geojson")
    assert rep["status"] == "written" and (rep["rows_read"], rep["accepted"], rep["rejected"]) == (4, 4, 0)
    msg = "this export is truncated at 4 features; export again with paging"
    assert msg in rep["warnings"]
    assert rep["truncated"] == [{"layer": "arcgis-points", "features": 4, "message": msg}]
    g = workspace.load(rep["layer"]).sort_values("source_row")
    assert [str(d.date()) for d in g["date"]] == ["2024-11-07", "2024-11-08", "2024-11-09", "2024-11-10"]
    assert g["fatalities"].tolist() == [1, 2, 3, 4]


def test_arcgis_zone_layer_imports_whole_with_its_epoch_dates(ws):
    rep = imports.import_file(DATA / "arcgis-zones.geojson")
    assert rep["status"] == "written" and (rep["accepted"], rep["rejected"]) == (2, 0)
    assert rep["truncated"] == []
    g = workspace.load(rep["layer"]).sort_values("source_row")
    assert [str(d.date()) for d in g["valid_from"]] == ["2023-12-02", "2023-12-02"]
    assert str(g["valid_to"].iloc[0].date()) == "2024-01-01" and pd.isna(g["valid_to"].iloc[1])


def _apptest():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("dashboard/pages/data.py")
    return at.run()


def test_data_page_shows_the_truncation(ws):
    at = _apptest()
    at.get("file_uploader")[0].upload("arcgis-points.geojson", (DATA / "arcgis-points.geojson").read_bytes(),
                                      "application/geo+json")
    at.run()
    assert not at.exception
    assert [m.value for m in at.metric][:3] == ["4", "4", "0"]
    assert any("truncated at 4 features" in w.value and "paging" in w.value for w in at.warning)
