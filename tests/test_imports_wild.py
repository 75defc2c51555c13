"""Imports of files as analysts really have them (issue 14), on small fixtures in tests/data/imports.

- ``arcgis-points.geojson``: an ArcGIS FeatureServer ``f=geojson`` result, 4 points with ``EventDate`` as
  epoch milliseconds (one at 23:30 UTC, which is the next day in Gaza) and one as epoch seconds, with
  ``"exceededTransferLimit": true`` (the server cut the result).
- ``arcgis-zones.geojson``: 2 polygons with ``StartDate``/``EndDate`` as epoch milliseconds (one ``EndDate`` null).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from pipeline.core.dates import parse_date
from pipeline.runtime import imports, workspace
from tests.conftest import data_page_apptest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "imports"


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


def test_data_page_shows_the_truncation(ws):
    at = data_page_apptest()
    at.get("file_uploader")[0].upload("arcgis-points.geojson", (DATA / "arcgis-points.geojson").read_bytes(),
                                      "application/geo+json")
    at.run()
    assert not at.exception
    assert [m.value for m in at.metric][:3] == ["4", "4", "0"]
    assert any("truncated at 4 features" in w.value and "paging" in w.value for w in at.warning)


# ------------------------------------------------------------------ offshore and border events (ACLED)


def test_offshore_and_border_events_are_kept_flagged_and_counted_by_the_named_governorate(ws):
    """acled-edges.csv: row 2 inside, 3 'Coast of Gaza City' at sea, 4 at the fence, 5 in Cairo, 6 names another
    governorate than its point's."""
    rep = imports.import_file(DATA / "acled-edges.csv", accept_partial=True)
    assert rep["status"] == "written" and (rep["rows_read"], rep["accepted"], rep["rejected"]) == (5, 4, 1)
    (cairo,) = rep["rejections"]
    assert cairo["row"] == 5 and "lies outside the Gaza Strip (318.4 km from its outline)" in cairo["reason"]
    assert "GDM_STRIP_TOLERANCE_M" in cairo["reason"] and "GDM_STRIP_TOLERANCE_M" in cairo["fix"]
    kept = [w for w in rep["warnings"] if "kept and flagged" in w]
    assert kept and "1 offshore (at sea, up to 25 km; row 3)" in kept[0] and "1 at the border" in kept[0]
    assert any("other than the one their point lies in" in w and w.endswith("row 6") for w in rep["warnings"])
    g = workspace.load(rep["layer"]).set_index("source_row")
    assert g.loc[3, "location_type"] == "offshore" and g.loc[3, "pcode"] == "PS0260"
    assert 2000 < g.loc[3, "outline_distance_m"] < 2400 and pd.isna(g.loc[3, "block_id"])
    assert g.loc[4, "location_type"] == "border" and g.loc[4, "pcode"] == "PS0255"
    assert 1500 < g.loc[4, "outline_distance_m"] < 2000
    assert g.loc[2, "location_type"] == "strip" and pd.isna(g.loc[2, "outline_distance_m"])
    assert g.loc[6, "pcode"] == "PS0275"  # the point's governorate (Rafah), as the warning says
    assert abs(g.loc[3].geometry.y - 31.52) < 1e-9  # drawn where it is, at sea


def test_a_narrower_offshore_band_rejects_the_coastal_row_and_says_so(ws, monkeypatch):
    monkeypatch.setenv("GDM_OFFSHORE_BAND_M", "1000")
    rep = imports.import_file(DATA / "acled-edges.csv", dry_run=True)
    assert sorted(r["row"] for r in rep["rejections"]) == [3, 5]
    assert rep["status"] == "dry-run" and not rep["would_write"]
    assert "the offshore band (1 km at sea, GDM_OFFSHORE_BAND_M)" in rep["rejections"][0]["reason"]


def test_a_point_at_sea_naming_no_governorate_stays_rejected(ws, tmp_path):
    """Row 3 of acled-edges.csv with its admin2 blanked: a territory-wide placeholder cannot be counted anywhere."""
    frame = pd.read_csv(DATA / "acled-edges.csv", dtype=str, keep_default_na=False)
    frame.loc[1, ["admin1", "admin2"]] = ""
    path = tmp_path / "acled-edges-unnamed.csv"
    frame.to_csv(path, index=False)
    rep = imports.import_file(path, dry_run=True)
    row3 = [r for r in rep["rejections"] if r["row"] == 3]
    assert row3 and "lies at sea 2," in row3[0]["reason"] and "names no governorate" in row3[0]["reason"]


# ------------------------------------------------------------------ sub-block ids


def test_sub_block_ids_are_accepted_joined_by_their_parent_and_kept(ws):
    """points-sub-blocks.csv: rows placed by a block column only: 642.1, 642, 33.10, 642.0, 99999.1, 642-1."""
    rep = imports.import_file(DATA / "points-sub-blocks.csv", accept_partial=True)
    assert (rep["rows_read"], rep["accepted"], rep["rejected"]) == (6, 4, 2)
    assert not any("not a whole number" in r["reason"] for r in rep["rejections"])
    by_row = {r["row"]: r["reason"] for r in rep["rejections"]}
    assert by_row[6] == "unknown block id 99999.1 (block 99999) (not in the 1 Dec 2023 block grid)"
    assert "not a block id: '642-1'" in [r["reason"] for r in rep["rejections"] if r["row"] == 7][0]
    g = workspace.load(rep["layer"]).set_index("source_row")
    assert g.loc[[2, 3, 4, 5], "block_id"].tolist() == [642, 642, 33, 642]
    assert g.loc[2, "sub_block_id"] == "642.1" and g.loc[4, "sub_block_id"] == "33.1"
    assert pd.isna(g.loc[3, "sub_block_id"]) and pd.isna(g.loc[5, "sub_block_id"])
    assert g.loc[2].geometry.equals(g.loc[3].geometry)  # placed at the parent block's centre


def test_sub_block_ids_in_a_zone_layer(ws):
    rep = imports.import_file(DATA / "arcgis-zones.geojson")
    g = workspace.load(rep["layer"]).sort_values("source_row")
    assert g["block_id"].tolist() == [125, 125] and g["sub_block_id"].iloc[0] == "125.1"


# ------------------------------------------------------------------ values outside their domain


def test_values_outside_their_domain_are_refused_with_row_and_field(ws):
    """points-out-of-domain.csv: row 3 (Infinity, -Infinity), 4 latitude NaN, 5 killed = the smallest int64,
    6 killed 25,000 for one event, 7 notes of 6,000 characters; rows 2 and 8 are plain."""
    rep = imports.import_file(DATA / "points-out-of-domain.csv", accept_partial=True)
    assert (rep["rows_read"], rep["accepted"], rep["rejected"]) == (7, 3, 4)
    got = {(r["row"], r["field"]): r["reason"] for r in rep["rejections"]}
    assert got[(3, "latitude")] == "not a finite number: 'Infinity'"
    assert got[(3, "longitude")] == "not a finite number: '-Infinity'"
    assert got[(4, "latitude")] == "not a number: 'NaN'"
    assert got[(5, "killed")] == "implausibly large number: '-9223372036854775808'"
    assert got[(6, "killed")].startswith("25,000 fatalities for one event is implausible (at most 10,000")
    assert "GDM_MAX_EVENT_FATALITIES" in got[(6, "killed")]
    cut = [w for w in rep["warnings"] if "characters cut" in w]
    assert cut == ["1 text value(s) longer than 5,000 characters cut to 5,000 (max_text_chars, GDM_MAX_TEXT_CHARS): "
                   "row 7 notes (6,000 characters)"]
    g = workspace.load(rep["layer"]).set_index("source_row")
    assert sorted(g.index) == [2, 7, 8]
    assert len(g.loc[7, "notes"]) == 5000 and g["fatalities"].tolist() == [1, 2, 3]
    assert g.geometry.x.map(math.isfinite).all() and g.geometry.y.map(math.isfinite).all()


def test_the_text_cap_is_a_setting(ws, monkeypatch):
    monkeypatch.setenv("GDM_MAX_TEXT_CHARS", "100")
    rep = imports.import_file(DATA / "points-out-of-domain.csv", dry_run=True)
    assert any("longer than 100 characters" in w for w in rep["warnings"])


def test_a_geodata_point_with_fatalities_out_of_range(ws, tmp_path):
    """arcgis-points.geojson with Fatalities -1 and 10,001 (features 1 and 2)."""
    text = (DATA / "arcgis-points.geojson").read_text()
    text = text.replace('"Fatalities": 1,', '"Fatalities": -1,').replace('"Fatalities": 2,', '"Fatalities": 10001,')
    path = tmp_path / "arcgis-bad-fatalities.geojson"
    path.write_text(text)
    rep = imports.import_file(path, dry_run=True)
    got = {r["row"]: (r["field"], r["reason"]) for r in rep["rejections"]}
    assert got[1] == ("Fatalities", "negative count: -1")
    assert got[2][0] == "Fatalities" and got[2][1].startswith("10,001 fatalities for one event is implausible")


# ------------------------------------------------------------------ overlapping exports


def test_overlapping_acled_exports_keep_one_copy_newest_wins(ws):
    """acled-weeks-1.csv holds SYN0201-0204, acled-weeks-2.csv SYN0203-0206: two events in both."""
    first = imports.import_file(DATA / "acled-weeks-1.csv")
    assert first["overlaps"] == [] and first["layer"] == "acled-weeks-1"
    check = imports.import_file(DATA / "acled-weeks-2.csv", dry_run=True)
    assert check["overlaps"] == [{"layer": "acled-weeks-1", "events": 2}]
    assert any(w.startswith("2 event(s) already in layer acled-weeks-1") and "would be removed" in w
               for w in check["warnings"])
    rep = imports.import_file(DATA / "acled-weeks-2.csv")
    assert rep["overlaps"] == [{"layer": "acled-weeks-1", "events": 2, "removed": 2}]
    assert any("2 event(s) already in layer acled-weeks-1" in w and "newest import wins" in w for w in rep["warnings"])
    layers = {e["name"]: e for e in workspace.list_layers()}
    assert {n: e["rows"] for n, e in layers.items()} == {"acled-weeks-1": 2, "acled-weeks-2": 4}
    ids = [i for n in layers for i in workspace.load(n)["event_id"]]
    assert sorted(ids) == [f"SYN{i:04d}" for i in range(201, 207)]  # each event once


def test_keep_duplicates_keeps_both_copies_and_says_so(ws):
    imports.import_file(DATA / "acled-weeks-1.csv")
    rep = imports.import_file(DATA / "acled-weeks-2.csv", keep_duplicates=True)
    assert rep["overlaps"] == [{"layer": "acled-weeks-1", "events": 2}]
    assert any("both copies kept" in w for w in rep["warnings"])
    assert sum(e["rows"] for e in workspace.list_layers()) == 8


def test_importing_an_identical_file_replaces_its_layer(ws):
    imports.import_file(DATA / "acled-weeks-1.csv")
    rep = imports.import_file(DATA / "acled-weeks-1.csv")
    assert rep["replaces"] == ["acled-weeks-1"] and rep["layer"] == "acled-weeks-1"
    assert "the same file was imported before as layer acled-weeks-1: it is replaced, not added twice" in rep["warnings"]
    assert [(e["name"], e["rows"]) for e in workspace.list_layers()] == [("acled-weeks-1", 4)]


def test_cli_keep_duplicates_flag(ws, capsys):
    from pipeline.__main__ import main

    assert main(["import", str(DATA / "acled-weeks-1.csv")]) == 0
    capsys.readouterr()
    assert main(["import", str(DATA / "acled-weeks-2.csv"), "--keep-duplicates"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["overlaps"] == [{"layer": "acled-weeks-1", "events": 2}]
