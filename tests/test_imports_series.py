"""Series imports (truck line lists by crossing, daily counts by governorate) and HXL sheets with qualifiers.

Fixtures in tests/data/imports (see its README): trucks-line-list.csv, series-governorates.csv, hxl-qualified.csv.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.html import md
from dashboard.map_layers import aggregate_points, prepare_workspace_layer
from pipeline.__main__ import main
from pipeline.core.dates import parse_date
from pipeline.runtime import imports, workspace

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "imports"
RAW = ROOT / "geodata" / "raw"


def test_month_names_as_found_in_line_lists():
    assert parse_date("12-Sept-2024") == date(2024, 9, 12)
    assert parse_date("3 Oct 2024") == date(2024, 10, 3)
    assert parse_date("4 September 2024") == date(2024, 9, 4)


def test_a_truck_line_list_without_coordinates_points_to_series_not_to_coordinates(ws):
    rep = imports.import_file(DATA / "trucks-line-list.csv")
    assert rep["status"] == "error" and rep["format"] == "csv"
    assert "looks like a series" in rep["error"]["reason"]
    assert "--as series" in rep["error"]["fix"] and "latitude" not in rep["error"]["fix"].split(";")[0]
    assert not ws.exists()


def test_truck_line_list_by_crossing_is_counted_per_day(ws):
    rep = imports.import_file(DATA / "trucks-line-list.csv", as_="series", unit="trucks", dry_run=True)
    assert (rep["format"], rep["rows_read"], rep["accepted"], rep["rejected"], rep["no_value"]) == ("series", 10, 7, 1, 2)
    (bad,) = rep["rejections"]
    assert bad["row"] == 10 and bad["field"] == "Date" and "'31 Sept 2024'" in bad["reason"]
    assert rep["series"]["no_value_rows"] == [8, 9]  # "-" and blank: reported, not dropped silently
    assert any("no value left out" in w and "rows 8, 9" in w for w in rep["warnings"])
    assert rep["status"] == "dry-run" and not rep["would_write"]  # a rejected row: all or nothing
    assert not ws.exists()

    rep = imports.import_file(DATA / "trucks-line-list.csv", as_="series", unit="trucks", accept_partial=True)
    assert rep["status"] == "written" and rep["series"]["unit_from"] == "stated with --unit"
    assert "2 row(s) with no value left out" in rep["message"]
    # Zikim is in the gazetteer (the crossing north of Beit Lahia, outside the Strip's outline: no governorate)
    assert not any("not in the gazetteer" in w for w in rep["warnings"])
    assert "1 crossing(s) outside the Strip, counted with no governorate: ['Zikim crossing']" in rep["warnings"]
    (entry,) = workspace.list_layers()
    assert entry["kind"] == "series" and entry["origin"] == "trucks-line-list.csv"
    days = workspace.load(rep["layer"])
    for col in ("date", "metric", "value", "unit", "pcode", "source", "filled"):  # the shipped series schema
        assert col in days.columns
    by = days.groupby(["date", "place"])["value"].sum()
    assert by.to_dict() == {
        (date(2024, 9, 12), "Kerem Shalom crossing"): 2, (date(2024, 9, 12), "Rafah crossing"): 1,
        (date(2024, 10, 3), "Erez crossing"): 1, (date(2024, 10, 3), "Kerem Shalom crossing"): 1,
        (date(2024, 10, 3), "Zikim crossing"): 1,
        (date(2024, 10, 4), "Kerem Shalom crossing"): 1}  # "Karem Abu Salem" is Kerem Shalom
    assert set(days["unit"]) == {"trucks"} and set(days["metric"]) == {"trucks"}
    assert dict(zip(days["place"], days["pcode"], strict=True))["Erez crossing"] == "PS0255"
    assert days.loc[days["place"] == "Zikim crossing", "pcode"].isna().all()
    assert days["value"].sum() == 7 and days["rows"].sum() == 7


def test_daily_counts_by_governorate_sum_per_day_with_the_value_columns_name_as_unit(ws):
    rep = imports.import_file(DATA / "series-governorates.csv", as_="series", accept_partial=True)
    assert rep["status"] == "written", rep
    assert (rep["rows_read"], rep["accepted"], rep["rejected"], rep["no_value"]) == (7, 6, 0, 1)
    assert rep["series"]["unit"] == "trucks" and rep["series"]["unit_from"] == "the value column's name"
    assert rep["series"]["no_value_rows"] == [5]  # PS0270 "-": no value, not 0
    days = workspace.load(rep["layer"])
    got = {(str(d), p): v for d, p, v in zip(days["date"], days["pcode"].fillna("none"), days["value"], strict=True)}
    assert got == {("2024-01-01", "PS0275"): 150, ("2024-01-01", "PS0270"): 40, ("2024-01-02", "PS0265"): 1050,
                   ("2024-01-02", "PS0255"): 10, ("2024-01-03", "none"): 5}
    assert days.loc[days["pcode"] == "PS0255", "qualifier"].tolist() == ["more than"]
    assert any("matched to no governorate" in w and "Tulkarm" in w for w in rep["warnings"])


def test_a_dated_table_without_a_place_column(tmp_path, ws, capsys):
    path = tmp_path / "daily.csv"
    path.write_text("Day,Count\n1 Oct 2024,50\n1 Oct 2024,20\n2 Oct 2024,\n", encoding="utf-8")
    code = main(["import", str(path), "--as", "series", "--unit", "trucks"])
    rep = json.loads(capsys.readouterr().out)
    assert code == 0 and rep["status"] == "written" and rep["no_value"] == 1
    days = workspace.load(rep["layer"])
    assert days["value"].tolist() == [70] and days["place"].isna().all() and days["unit"].tolist() == ["trucks"]


def test_hxl_kind_from_the_tags_that_hold_it_and_qualifiers_kept(ws):
    rep = imports.import_file(DATA / "hxl-qualified.csv")
    assert rep["status"] == "written" and rep["rejected"] == 0, rep
    g = workspace.load(rep["layer"]).sort_values("source_row")
    assert g["kind"].tolist() == ["airstrike", "conflict", "shelling", "unspecified", "airstrike"]
    assert g["fatalities"].tolist()[:2] == [20, 15] and g["fatalities"].isna().tolist() == [False, False, True,
                                                                                             False, True]
    assert g["fatalities_qualifier"].tolist()[:3] == ["more than", "approximately", "not reported"]
    assert g["figure"].tolist()[:2] == [1200, 300] and pd.isna(g["figure"].iloc[2])
    assert g["figure_qualifier"].tolist()[:3] == ["total", "approximately", "not reported"]
    assert any("1 row(s) with no event type" in w for w in rep["warnings"])
    (entry,) = workspace.list_layers()
    shown = prepare_workspace_layer(entry, g, on=date(2024, 1, 15), window=7, blocks=None, governorates=None)
    tips = shown.frame.sort_values("date")["tip"].tolist()
    assert "Reported fatalities: more than 20" in tips[0] and "Reported fatalities: approximately 15" in tips[1]
    assert "Reported fatalities: not reported" in tips[2] and "Reported fatalities: not reported" in tips[4]
    assert "#affected+displaced: not reported" in tips[2]


def test_aggregated_events_without_any_figure_read_not_reported():
    ev = gpd.GeoDataFrame({"block_id": pd.array([33, 33], dtype="Int64"), "pcode": ["PS0270"] * 2,
                           "date": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                           "fatalities": pd.array([pd.NA, pd.NA], dtype="Int64")},
                          geometry=gpd.points_from_xy([34.3, 34.3], [31.3, 31.3]), crs=4326)
    blocks = gpd.GeoDataFrame({"block_id": pd.array([33], dtype="Int64")},
                              geometry=gpd.points_from_xy([34.3], [31.3]).buffer(0.01), crs=4326)
    agg, _ = aggregate_points(ev, label="x", blocks=blocks, governorates=None)
    assert "Reported fatalities: not reported" in agg["tip"].iloc[0] and ": 0 " not in agg["tip"].iloc[0]


def test_real_idmc_events_take_their_kind_from_the_filled_tag(ws):
    rep = imports.import_file(RAW / "hxl" / "idmc-displacement-events-pse.csv", dry_run=False, accept_partial=True)
    g = workspace.load(rep["layer"])
    raw = pd.read_csv(RAW / "hxl" / "idmc-displacement-events-pse.csv", skiprows=[1], dtype=str)
    assert raw["type"].isna().all()  # the file's #event+type column is empty
    assert set(g["kind"]) == {"conflict"}  # from #event+displacement_type, not "hxl"
    assert set(g["figure_qualifier"].dropna()) <= {"total", "approximately"}


@pytest.mark.slow
def test_an_imported_series_shows_on_the_timeline_attributed_to_the_file(ws):
    rep = imports.import_file(DATA / "trucks-line-list.csv", as_="series", unit="trucks", accept_partial=True)
    assert rep["status"] == "written"
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("dashboard/pages/timeline.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Your imported series" in [h.value for h in at.subheader]
    captions = " ".join(c.value for c in at.caption)
    imported_on = workspace.list_layers()[0]["imported_at"][:10]
    assert f"from your file {md('trucks-line-list.csv')}, imported {md(imported_on)}" in captions  # escaped as shown
    assert "unit trucks" in captions
    specs = [c.proto for c in at.get("vega_lite_chart")]
    assert any(any(b"Kerem Shalom crossing" in d.data.data for d in s.datasets) for s in specs)
