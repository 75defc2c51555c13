"""The remaining reader gaps of issue 14: years as periods, Zikim, "at least" sums, slash dates, orders read back.

Each on a small file made to match the real case (``tests/data/imports/README.md``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pipeline.core.dates import parse_date, parse_date_column, to_date
from pipeline.core.errors import InputError
from pipeline.runtime import imports, workspace
from pipeline.runtime.readers.qualified import sum_qualifier
from tests.conftest import data_page_apptest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "imports"


# ------------------------------------------------------------------ year-only dates in a series


def test_a_column_of_years_is_a_yearly_series_not_the_first_of_january(ws):
    rep = imports.import_file(DATA / "trucks-yearly.csv", as_="series", unit="trucks")
    assert rep["status"] == "written" and (rep["rows_read"], rep["accepted"], rep["rejected"]) == (4, 4, 0)
    assert rep["series"]["period"] == "year"
    assert any("holds years only (e.g. '2023')" in w and "summed per year, not per day" in w
               for w in rep["warnings"]), rep["warnings"]
    days = workspace.load(rep["layer"])
    by = days.groupby(["date", "place"])["value"].sum().to_dict()
    assert by == {(date(2023, 1, 1), "Kerem Shalom crossing"): 12100, (date(2023, 1, 1), "Rafah crossing"): 8400,
                  (date(2024, 1, 1), "Kerem Shalom crossing"): 25300, (date(2024, 1, 1), "Zikim crossing"): 1900}
    (entry,) = workspace.list_layers()
    assert entry["series"]["period"] == "year"  # what the Timeline reads to draw a year as a period


def test_the_timeline_draws_a_year_as_one_bar_spanning_it(ws):
    from dashboard import charts

    rep = imports.import_file(DATA / "trucks-yearly.csv", as_="series", unit="trucks")
    days = workspace.load(rep["layer"])
    spec = charts.imported_series_chart(days, on=date(2023, 12, 2), label="trucks-yearly.csv",
                                        period="year").to_dict()
    enc = spec["layer"][0]["encoding"]
    assert enc["x2"]["field"] == "end" and enc["y"]["title"] == "trucks per year"
    values = next(iter(spec["datasets"].values()))
    assert {(v["date"][:10], v["end"][:10]) for v in values} == {("2023-01-01", "2024-01-01"),
                                                                 ("2024-01-01", "2025-01-01")}
    daily = charts.imported_series_chart(days, on=date(2023, 12, 2), label="x").to_dict()
    assert "x2" not in daily["layer"][0]["encoding"]


def test_a_year_among_dates_is_refused_by_row(ws, tmp_path):
    f = tmp_path / "mixed.csv"
    f.write_text("date,crossing,trucks\n2023-12-02,Rafah,10\n2023,Rafah,900\n", encoding="utf-8")
    rep = imports.import_file(f, as_="series", dry_run=True)
    (bad,) = rep["rejections"]
    assert bad["row"] == 3 and bad["field"] == "date"
    assert bad["reason"] == "'2023' is a year only, in a column of dates: a yearly figure cannot be summed with daily ones"


# ------------------------------------------------------------------ Zikim in the gazetteer


def test_zikim_places_series_rows_by_crossing(ws):
    rep = imports.import_file(DATA / "trucks-slash-dates.csv", as_="series", dry_run=True)
    assert "Zikim crossing" in rep["series"]["places"]
    assert not any("not in the gazetteer" in w for w in rep["warnings"])
    places = pd.read_parquet(ROOT / "geodata" / "bundle" / "places.parquet")
    (zikim,) = places[places["place_id"] == "zikim-crossing"].itertuples()
    assert zikim.kind == "crossing" and zikim.name_ar == "معبر زيكيم" and not zikim.inside_gaza
    assert "https://en.wikipedia.org/wiki/Zikim" in zikim.source


# ------------------------------------------------------------------ "at least" for sums of qualified figures


@pytest.mark.parametrize(("qualifiers", "expected"), [
    ([None, "more than", None], "at least"), (["at least", "more than"], "at least"), ([None, None], None),
    (["less than", None], "at most"), (["more than", "less than"], "approximately"),
    (["approximately", "more than"], "approximately"), (["not reported", None], None)])
def test_the_qualifier_of_a_sum(qualifiers, expected):
    assert sum_qualifier(qualifiers) == expected


def test_a_series_total_with_a_more_than_figure_is_at_least_the_sum(ws):
    """series-governorates.csv: 120 + 30 + 40 + 1,050 + "more than 10" + 5 (Tulkarm) = at least 1,255."""
    rep = imports.import_file(DATA / "series-governorates.csv", as_="series", dry_run=True)
    assert rep["series"]["total"] == 1255 and rep["series"]["total_qualifier"] == "at least"
    at = data_page_apptest()
    at.selectbox(key="gdm_upload_format").set_value("series")
    at.run()
    at.get("file_uploader")[0].upload("series-governorates.csv", (DATA / "series-governorates.csv").read_bytes(),
                                      "text/csv")
    at.run()
    assert not at.exception
    assert any("at least 1,255 in all" in i.value for i in at.info), [i.value for i in at.info]


def test_a_days_total_with_a_more_than_figure_reads_at_least_and_a_single_figure_keeps_its_own(ws, tmp_path):
    """Two rows of one day at one crossing, one "more than 20": that day is at least 25; a day of one row keeps
    "more than"; a day of exact figures has no qualifier."""
    f = tmp_path / "trucks-qualified.csv"
    f.write_text("date,crossing,trucks\n2024-01-01,Rafah,more than 20\n2024-01-01,Rafah,5\n"
                 "2024-01-02,Rafah,more than 10\n2024-01-01,Kerem Shalom,30\n2024-01-01,Kerem Shalom,12\n",
                 encoding="utf-8")
    rep = imports.import_file(f, as_="series", unit="trucks")
    assert rep["status"] == "written", rep
    days = workspace.load(rep["layer"])
    got = {(str(d), p): (v, q if isinstance(q, str) else None)
           for d, p, v, q in days[["date", "place", "value", "qualifier"]].itertuples(index=False)}
    assert got == {("2024-01-01", "Rafah crossing"): (25, "at least"), ("2024-01-02", "Rafah crossing"): (10, "more than"),
                   ("2024-01-01", "Kerem Shalom crossing"): (42, None)}
    (said,) = [w for w in rep["warnings"] if w.startswith("series ")]
    assert said.endswith("summed per day and crossing ('crossing')"), said


def test_a_yearly_series_is_said_to_be_summed_per_year(ws):
    rep = imports.import_file(DATA / "trucks-yearly.csv", as_="series", unit="trucks", dry_run=True)
    (said,) = [w for w in rep["warnings"] if w.startswith("series ")]
    assert "summed per year" in said and "summed per day" not in said, said


# ------------------------------------------------------------------ slash dates: day-first unless the column says


def test_ambiguous_slash_dates_are_read_day_first_and_the_report_names_the_setting(ws):
    rep = imports.import_file(DATA / "trucks-slash-dates.csv", as_="series", dry_run=True)
    assert (rep["series"]["first"], rep["series"]["last"]) == ("2023-12-02", "2023-12-04")
    (w,) = [w for w in rep["warnings"] if "slash dates" in w]
    assert "read as day/month/year, the convention in Gaza and in OCHA and ACLED exports" in w
    assert "slash_dates (GDM_SLASH_DATES) to month-first" in w


def test_the_setting_reads_an_ambiguous_column_month_first(monkeypatch):
    monkeypatch.setenv("GDM_SLASH_DATES", "month-first")
    dates, problems, warning = parse_date_column(pd.Series(["02/12/2023", "03/12/2023"]))
    assert list(dates.dt.date) == [date(2023, 2, 12), date(2023, 3, 12)] and not problems
    assert warning is not None and "as the setting slash_dates (GDM_SLASH_DATES) says" in warning


@pytest.mark.parametrize(("values", "expected"), [
    (["02/12/2023", "13/12/2023"], [date(2023, 12, 2), date(2023, 12, 13)]),  # a first part over 12: day-first
    (["02/12/2023", "12/13/2023"], [date(2023, 2, 12), date(2023, 12, 13)]),  # a second part over 12: month-first
])
def test_a_column_that_settles_the_order_is_read_that_way_without_a_warning(values, expected):
    dates, problems, warning = parse_date_column(pd.Series(values))
    assert list(dates.dt.date) == expected and not problems and warning is None


def test_a_us_time_with_am_pm_settles_a_column_month_first():
    dates, problems, warning = parse_date_column(pd.Series(["11/7/2024 1:35:00 PM", "11/8/2024 9:05:00 AM"]))
    assert list(dates.dt.date) == [date(2024, 11, 7), date(2024, 11, 8)] and not problems and warning is None


@pytest.mark.parametrize(("value", "setting", "expected"), [
    ("13/12/2023", None, date(2023, 12, 13)),  # its own first part proves day-first (read month-first it failed)
    ("12/13/2023", None, date(2023, 12, 13)),  # its own second part proves month-first
    ("05/12/2023", None, date(2023, 12, 5)),  # two ways: the setting's order, day-first by default
    ("05/12/2023", "month-first", date(2023, 5, 12)),
    ("11/7/2024 1:35:00 PM", None, date(2024, 11, 7)),  # AM/PM: the US form
])
def test_a_single_slash_date_follows_its_own_parts_then_the_setting(monkeypatch, value, setting, expected):
    if setting:
        monkeypatch.setenv("GDM_SLASH_DATES", setting)
    assert parse_date(value) == expected


def test_a_date_a_person_types_that_reads_two_ways_is_refused_with_both_readings():
    with pytest.raises(InputError) as exc:
        to_date("05/12/2023", "on")
    assert exc.value.reason == "on '05/12/2023' could be 2023-12-05 (day/month) or 2023-05-12 (month/day)"
    assert exc.value.fix == "write it as YYYY-MM-DD" and exc.value.field == "on"
    assert to_date("13/12/2023", "on") == date(2023, 12, 13) and to_date("12/12/2023", "on") == date(2023, 12, 12)


# ------------------------------------------------------------------ orders exported and imported again


def _orders_layers() -> dict[str, pd.DataFrame]:
    cols = ["order_id", "issued_on", "block_id", "sub_block_id", "matched_as"]
    return {e["name"]: workspace.load(e["name"])[cols].sort_values(["order_id", "block_id"]).reset_index(drop=True)
            for e in workspace.list_layers() if e.get("kind") == "orders"}


def test_a_workspace_geopackage_brings_order_layers_back_as_orders(ws, tmp_path, monkeypatch):
    imports.import_file(DATA / "orders-blocks.csv", as_="orders", accept_partial=True)
    imports.import_file(DATA / "orders-areas.geojson", as_="orders")
    before = _orders_layers()
    gpkg = tmp_path / "workspace.gpkg"
    gpkg.write_bytes(workspace.export_geopackage())
    monkeypatch.setenv("GDM_WORKSPACE_DIR", str(tmp_path / "fresh"))
    rep = imports.import_file(gpkg)  # no --as: the layers say what they are
    assert rep["status"] == "written", rep
    assert sorted((x["name"], x["kind"]) for x in rep["layers"]) == [("orders-areas", "orders"),
                                                                      ("orders-blocks", "orders")]
    after = _orders_layers()
    for name, frame in before.items():
        pd.testing.assert_frame_equal(after[name], frame, check_dtype=False)
    assert set(after["orders-blocks"]["matched_as"]) == {"exact", "sub-block-outline", "parent-of-sub-block"}


def test_a_polygon_file_with_the_orders_columns_is_read_as_orders(ws, tmp_path):
    """A GeoJSON of designated areas written by another tool with ``order_id`` and ``issued_on``."""
    import geopandas as gpd

    areas = gpd.read_file(DATA / "orders-areas.geojson")
    date_c = next(c for c in areas.columns if c in ("date", "issued_on", "valid_from"))
    areas = areas.rename(columns={date_c: "issued_on"}).assign(order_id=["A-1", "A-2"])
    path = tmp_path / "designated-areas.geojson"
    areas[["order_id", "issued_on", "geometry"]].to_file(path, driver="GeoJSON")
    rep = imports.import_file(path)
    assert rep["status"] == "written" and [x["kind"] for x in rep["layers"]] == ["orders"], rep
    frame = workspace.load(rep["layer"])
    assert list(frame["order_id"]) == ["A-1", "A-2"] and set(frame["matched_as"]) == {"polygon"}
