"""Importers on small synthetic fixtures (tests/data/imports) and on the real HXL/XLSX files in geodata/raw."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon

from pipeline.__main__ import main
from pipeline.runtime import imports, workspace
from pipeline.runtime.bundle import load_layer
from pipeline.runtime.readers.acled import acled_attribution
from pipeline.runtime.readers.csv_points import pcode_for_names
from pipeline.runtime.readers.hxl import Tag, find_tag_row, parse_tag
from tests.conftest import data_page_apptest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "imports"
RAW = ROOT / "geodata" / "raw"
EXPECTED = json.loads((DATA / "expected-blocks.json").read_text())


def test_acled_csv_is_joined_to_blocks_and_governorates(ws):
    rep = imports.import_file(DATA / "acled-clean.csv")
    assert rep["status"] == "written" and rep["format"] == "acled"
    assert (rep["rows_read"], rep["accepted"], rep["rejected"]) == (5, 5, 0)
    assert rep["acled"] is True and rep["attribution"] == acled_attribution
    (entry,) = workspace.list_layers()
    assert entry["acled"] is True and entry["origin"] == "acled-clean.csv" and entry["kind"] == "events"
    g = workspace.load(rep["layer"]).sort_values("event_id")
    assert g.crs.to_epsg() == 4326
    assert g["block_id"].tolist() == [e["block_id"] for e in EXPECTED]
    assert g["pcode"].tolist() == [e["pcode"] for e in EXPECTED]
    assert g["kind"].tolist() == ["airstrike", "shelling", "armed_clash", "attack", "airstrike"]
    assert g["fatalities"].tolist() == [0, 1, 2, 3, 4]
    assert str(g["date"].iloc[0].date()) == "2023-12-01"
    for col in imports.EVENT_COLUMNS:
        assert col in g.columns


def test_acled_xlsx_reads_like_the_csv(ws):
    rep = imports.import_file(DATA / "acled-clean.xlsx")
    assert (rep["format"], rep["container"], rep["accepted"]) == ("acled", "xlsx", 5)
    g = workspace.load(rep["layer"]).sort_values("event_id")
    assert g["block_id"].tolist() == [e["block_id"] for e in EXPECTED]


def test_acled_governorate_spellings_map_to_pcodes():
    names = pd.Series(["Khan Yunis", "Deir El Balah", "Gaza City", "North Gaza", "Rafah", "خان يونس",
                       "محافظة شمال غزة", "Tulkarm", None])
    assert pcode_for_names(names).tolist() == ["PS0270", "PS0265", "PS0260", "PS0255", "PS0275", "PS0270",
                                               "PS0255", pd.NA, pd.NA]


def test_faulty_acled_reports_each_row_and_writes_nothing(ws):
    rep = imports.import_file(DATA / "acled-faulty.csv")
    assert rep["status"] == "refused" and rep["written"] is False
    assert (rep["rows_read"], rep["accepted"], rep["rejected"]) == (12, 5, 7)
    by_row = {r["row"]: r for r in rep["rejections"]}
    assert "swapped" in by_row[7]["reason"] and by_row[7]["field"] == "latitude/longitude"
    assert "outside the Gaza Strip" in by_row[8]["reason"]
    assert by_row[9]["field"] == "event_id" and "duplicate" in by_row[9]["reason"] and "row 4" in by_row[9]["reason"]
    assert "future" in by_row[10]["reason"]
    assert "before 2023-10-07" in by_row[11]["reason"]
    assert by_row[12]["field"] == "event_date"
    assert by_row[13]["field"] == "latitude" and "not a number" in by_row[13]["reason"]
    assert workspace.list_layers() == [] and not ws.exists()
    rep2 = imports.import_file(DATA / "acled-faulty.csv", accept_partial=True)
    assert rep2["status"] == "written" and rep2["accepted"] == 5
    assert sorted(workspace.load(rep2["layer"])["source_row"]) == [2, 3, 4, 5, 6]


def test_hxl_tags_parse_with_or_without_spaces():
    assert parse_tag("#adm1 +name +i_ar") == Tag("#adm1", frozenset({"name", "i_ar"}))
    assert parse_tag("#geo+lat") == Tag("#geo", frozenset({"lat"}))
    assert parse_tag("Not a tag") is None
    frame = pd.read_csv(RAW / "hxl" / "ocha-3w-example.csv", dtype=str)
    tags, data, first = find_tag_row(frame)
    assert first == 3 and len(data) == 1
    assert Tag("#adm1", frozenset({"name"})) in tags and Tag("#date", frozenset({"reported"})) in tags


def test_hxl_governorate_figures_with_arabic_names(ws):
    rep = imports.import_file(DATA / "hxl-governorates.csv", accept_partial=True)
    assert rep["format"] == "hxl" and rep["status"] == "written"
    assert rep["rejections"] == [{"row": 7, "field": "#adm1+name",
                                  "reason": "'Tulkarm' is not a Gaza governorate (pcode or name)"}]
    g = workspace.load(rep["layer"])
    idps = g[g["metric"] == "#affected+idps"].set_index("pcode")["value"].to_dict()
    assert idps == {"PS0255": 1000, "PS0265": 2000, "PS0270": 3000, "PS0275": 4000}  # Khan Younis by Arabic name
    assert set(g["date"].dt.strftime("%Y-%m-%d")) == {"2023-12-02"}  # "20231202"
    govs = load_layer("governorates").set_index("pcode")
    for pc, geom in zip(g["pcode"], g.geometry, strict=True):
        assert geom.within(govs.geometry.loc[pc])


def test_hxl_points_map_by_tags(ws):
    rep = imports.import_file(DATA / "hxl-points.csv")
    assert rep["status"] == "written", rep
    g = workspace.load(rep["layer"]).sort_values("source_row")
    assert g["fatalities"].tolist() == [1, 2, 3, 4, 5]
    assert g["figure"].tolist() == [100, 200, 300, 400, 500] and set(g["figure_tag"]) == {"#affected+displaced"}
    assert g["block_id"].tolist() == [e["block_id"] for e in EXPECTED]
    assert g["location_ar"].iloc[0] == "موقع 1"


def _inside_strip(lat: pd.Series, lon: pd.Series) -> pd.Series:
    strip = load_layer("strip").to_crs(32636).buffer(500).to_crs(4326).union_all()
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326)
    return pd.Series(pts.within(strip).to_numpy(), index=lat.index)


def test_real_idmc_hxl_file_keeps_gaza_rows_and_reports_the_rest(ws):
    path = RAW / "hxl" / "idmc-displacement-events-pse.csv"
    raw = pd.read_csv(path, skiprows=[1])
    in_gaza = _inside_strip(raw["latitude"], raw["longitude"])
    rep = imports.import_file(path, dry_run=True)
    assert (rep["format"], rep["rows_read"], rep["status"]) == ("hxl", len(raw), "dry-run")
    assert rep["accepted"] == int(in_gaza.sum()) and rep["rejected"] == int((~in_gaza).sum())
    assert all(r["field"] == "#geo+lat/#geo+lon" and "outside the Gaza Strip" in r["reason"]
               for r in rep["rejections"])
    assert not ws.exists()
    rep = imports.import_file(path, accept_partial=True)
    g = workspace.load(rep["layer"])
    assert len(g) == int(in_gaza.sum()) and set(g["figure_tag"]) == {"#affected+displaced"}
    assert g["figure"].sum() == raw.loc[in_gaza, "figure"].sum()


@pytest.mark.parametrize("name,needle", [
    ("idmc-idp-stock-pse.csv", "country-level figures cannot be placed"),
    ("ocha-global-pcodes-adm1-2.csv", "holds no figure to map"),
    ("ocha-3w-example.csv", "no row names a Gaza governorate"),
])
def test_real_hxl_files_without_a_place_give_a_clear_error(ws, name, needle):
    rep = imports.import_file(RAW / "hxl" / name)
    assert rep["status"] == "error" and rep["format"] == "hxl"
    assert needle in rep["message"] and rep["error"]["file"] == name
    assert not ws.exists()


def test_real_insecurity_insight_xlsx_with_its_hxl_row(ws):
    path = RAW / "events" / "insecurity-insight" / "2016-2023-attacks-on-health-care-incident-data.xlsx"
    raw = pd.read_excel(path, engine="openpyxl").iloc[1:]
    lat = pd.to_numeric(raw["Latitude"], errors="coerce")
    lon = pd.to_numeric(raw["Longitude"], errors="coerce")
    in_gaza = _inside_strip(lat.fillna(0), lon.fillna(0)) & lat.notna()
    rep = imports.import_file(path, accept_partial=True)
    assert (rep["format"], rep["container"]) == ("hxl", "xlsx")
    assert rep["rows_read"] == len(raw)
    assert rep["accepted"] == int(in_gaza.sum()) > 400
    # rows the file places in another country are accepted only within strip_tolerance_m of the outline
    strip = load_layer("strip").union_all()
    other = in_gaza & (raw["Country"] != "OPT")
    pts = gpd.GeoSeries(gpd.points_from_xy(lon[other], lat[other]), crs=4326)
    assert not pts.within(strip).any() and other.sum() < 5
    g = workspace.load(rep["layer"])
    assert g["pcode"].notna().all() and g["pcode"].isin(["PS0255", "PS0260", "PS0265", "PS0270", "PS0275"]).all()
    assert any("before 2023-10-07 kept" in w for w in rep["warnings"])  # a multi-year file: earlier dates kept


def test_plain_csv_with_dates_as_found_in_the_wild(ws):
    rep = imports.import_file(DATA / "points-wild-dates.csv")
    assert rep["format"] == "csv" and rep["status"] == "written", rep
    g = workspace.load(rep["layer"]).sort_values("source_row")
    assert g["date"].dt.strftime("%Y-%m-%d").tolist() == ["2023-10-07", "2025-06-06", "2023-12-02", "2023-12-03",
                                                          "2023-12-13"]
    assert g["block_id"].tolist() == [e["block_id"] for e in EXPECTED]


def test_real_tab_separated_points_with_repeated_rows(ws):
    rep = imports.import_file(RAW / "events" / "forensic-architecture-jabalia-oct2023.tsv")
    assert (rep["format"], rep["rows_read"], rep["accepted"], rep["status"]) == ("csv", 95, 95, "written")
    assert any("identical to an earlier row" in w for w in rep["warnings"])
    g = workspace.load(rep["layer"])
    assert set(g["pcode"]) == {"PS0255"}  # Jabalia is in North Gaza


def test_unknown_block_ids_are_rejected_and_known_ones_placed(ws, tmp_path):
    f = tmp_path / "blocks.csv"
    f.write_text("date,block_id,type\n2023-12-02,33,report\n2023-12-02,99999,report\n")
    rep = imports.import_file(f)
    assert rep["rejections"] == [{"row": 3, "field": "block_id",
                                  "reason": "unknown block id 99999 (not in the 1 Dec 2023 block grid)",
                                  "fix": "check the block number"}]
    rep = imports.import_file(f, accept_partial=True)
    g = workspace.load(rep["layer"])
    assert g["block_id"].tolist() == [33] and g["geo_precision"].tolist() == ["block"]


def _zone_4326() -> gpd.GeoDataFrame:
    c = load_layer("blocks").set_index("block_id").geometry.loc[EXPECTED[0]["block_id"]].representative_point()
    d = 0.003
    poly = Polygon([(c.x - d, c.y - d), (c.x + d, c.y - d), (c.x + d, c.y + d), (c.x - d, c.y + d)])
    return gpd.GeoDataFrame({"name": ["Drawn zone"], "valid_from": ["2023-12-06"]}, geometry=[poly], crs=4326)


@pytest.mark.parametrize("epsg", [2039, 28191, 32636, 3857])
@pytest.mark.parametrize("container", ["gpkg", "shpzip", "geojson"])
def test_zones_are_reprojected_from_any_crs(ws, tmp_path, epsg, container):
    src = _zone_4326()
    proj = src.to_crs(epsg)
    if container == "gpkg":
        f = tmp_path / "zone.gpkg"
        proj.to_file(f, driver="GPKG")
    elif container == "geojson":
        f = tmp_path / "zone.geojson"
        proj.to_file(f, driver="GeoJSON")
    else:
        proj.to_file(tmp_path / "zone.shp")
        f = tmp_path / "zone.zip"
        with zipfile.ZipFile(f, "w") as zf:
            for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                if (tmp_path / f"zone{ext}").exists():
                    zf.write(tmp_path / f"zone{ext}", f"zone{ext}")
    rep = imports.import_file(f)
    assert rep["status"] == "written" and rep["format"] == "zones", rep
    g = workspace.load(rep["layer"])
    assert g.crs.to_epsg() == 4326 and g["name"].tolist() == ["Drawn zone"]
    assert g.geometry.iloc[0].hausdorff_distance(src.geometry.iloc[0]) < 1e-6
    assert abs(g["area_km2"].iloc[0] - src.to_crs(32636).area.iloc[0] / 1e6) < 1e-3


def test_shapefile_without_prj_is_refused_for_missing_crs(ws, tmp_path):
    _zone_4326().to_crs(32636).to_file(tmp_path / "zone.shp")
    f = tmp_path / "zone.zip"
    with zipfile.ZipFile(f, "w") as zf:
        for ext in (".shp", ".shx", ".dbf"):
            zf.write(tmp_path / f"zone{ext}", f"zone{ext}")
    rep = imports.import_file(f)
    assert rep["status"] == "error" and rep["error"]["field"] == "crs" and ".prj" in rep["message"]


def test_geojson_with_projected_coordinates_and_no_crs_is_refused(ws, tmp_path):
    gj = json.loads(_zone_4326().to_crs(32636).to_json())
    gj.pop("crs", None)
    f = tmp_path / "noCRS.geojson"
    f.write_text(json.dumps(gj))
    rep = imports.import_file(f)
    assert rep["status"] == "error" and rep["error"]["field"] == "crs" and "not degrees" in rep["message"]


def test_invalid_polygon_is_repaired_and_reported(ws):
    rep = imports.import_file(DATA / "zones-invalid.geojson")
    assert rep["status"] == "written" and rep["accepted"] == 2
    assert len(rep["repaired"]) == 1 and rep["repaired"][0]["row"] == 2
    assert "Self-intersection" in rep["repaired"][0]["reason"] and "make_valid" in rep["repaired"][0]["reason"]
    g = workspace.load(rep["layer"])
    assert g.geometry.is_valid.all() and (g["area_km2"] > 0).all()


def test_swapped_polygon_coordinates_are_reported(ws, tmp_path):
    z = _zone_4326()
    z["geometry"] = z.geometry.map(lambda g: Polygon([(y, x) for x, y in g.exterior.coords]))
    f = tmp_path / "swapped.geojson"
    z.to_file(f, driver="GeoJSON")
    rep = imports.import_file(f)
    assert rep["status"] == "refused" and "swapped" in rep["rejections"][0]["reason"]


def test_cli_prints_a_json_report(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GDM_WORKSPACE_DIR", str(tmp_path / "ws"))

    def run(*args: str) -> tuple[int, dict]:
        code = main(["import", *args])
        return code, json.loads(capsys.readouterr().out)

    code, rep = run(str(DATA / "acled-faulty.csv"), "--dry-run")
    assert code == 1 and rep["rejected"] == 7 and rep["written"] is False
    assert not (tmp_path / "ws").exists()
    code, rep = run(str(DATA / "hxl-points.csv"), "--as", "hxl")
    assert code == 0 and rep["layer"] == "hxl-points" and rep["accepted"] == 5
    assert (tmp_path / "ws" / "layers" / "hxl-points.parquet").exists()
    code, rep = run(str(DATA / "hxl-points.csv"), "--as", "zones")
    assert code == 2 and "declared as 'zones'" in rep["message"]


# ------------------------------------------------------------------ the upload flow (Streamlit AppTest)


def test_upload_flow_accepted_file_appears_as_a_layer(ws):
    at = data_page_apptest()
    assert not at.exception
    assert any("disk is not permanent" in i.value for i in at.info)
    up = at.get("file_uploader")[0]
    up.upload("points-wild-dates.csv", (DATA / "points-wild-dates.csv").read_bytes(), "text/csv")
    at.run()
    assert [m.value for m in at.metric][:3] == ["5", "5", "0"]
    assert not ws.exists()  # the check saved nothing
    at.button(key="gdm_import").click()
    at.run()
    assert not at.exception
    assert [e["name"] for e in workspace.list_layers()] == ["points-wild-dates"]
    assert any("points\\-wild\\-dates" in s.value for s in at.success)
    assert "Delete points-wild-dates" in [b.label for b in at.button]
    assert [b.label for b in at.get("download_button") if b.key == "gdm_download_workspace"] == [
        "Download the workspace (GeoPackage)"]


def test_upload_flow_bad_file_shows_its_error_and_changes_nothing(ws):
    imports.import_file(DATA / "hxl-points.csv")
    before = workspace.file_hashes()
    at = data_page_apptest()
    at.get("file_uploader")[0].upload("junk.csv", bytes(range(256)) * 40, "text/csv")
    at.run()
    assert not at.exception
    assert any("binary" in e.value for e in at.error)
    assert at.button(key="gdm_import").disabled
    at.get("file_uploader")[0].set_value(("faulty.csv", (DATA / "acled-faulty.csv").read_bytes(), "text/csv"))
    at.run()
    assert [m.value for m in at.metric][:3] == ["12", "5", "7"]
    assert at.button(key="gdm_import").disabled  # partial import not accepted
    assert len(at.dataframe) >= 2  # the reject table and the workspace list
    assert workspace.file_hashes() == before
