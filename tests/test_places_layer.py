"""The places layer (gazetteer) on the real data: counts, required names, geometry, regions, aliases.

Reads the shipped bundle's places layer; when the bundle does not hold it yet, the same build
step runs in memory on geodata/raw (pipeline.runtime.place_search.load_places).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from pipeline.build.geometry import east_of_khan_younis, split_by_wadi
from pipeline.build.sources.places import PCBS_FIXES
from pipeline.core.layers import AREA_CRS, SCHEMAS, validate_layer
from pipeline.core.names import normalize
from pipeline.runtime.bundle import load_layer
from pipeline.runtime.place_search import load_places

REQUIRED = ["khan-younis", "rafah", "al-mawasi", "gaza-city", "deir-al-balah", "jabalia", "beit-hanoun",
            "beit-lahia", "nuseirat", "bureij", "maghazi", "bani-suheila", "khuzaa", "abasan-al-kabira",
            "al-qarara", "shati-camp", "rafah-crossing", "kerem-shalom-crossing", "northern-gaza", "southern-gaza",
            "east-of-khan-younis", "coastal-strip"]


@pytest.fixture(scope="module")
def places() -> gpd.GeoDataFrame:
    return load_places().set_index("place_id", drop=False)


@pytest.fixture(scope="module")
def strip_m():
    return load_layer("strip").to_crs(AREA_CRS).union_all()


def test_layer_passes_its_schema_with_label_points(places):
    assert {"label_lon", "label_lat"} <= set(SCHEMAS["places"].columns)
    validate_layer("places", places.reset_index(drop=True), source="test", strip=load_layer("strip"))
    assert places.crs.to_epsg() == 4326
    assert set(places["kind"]) <= {"city", "camp", "area", "crossing", "landmark", "region"}
    assert places["label_lon"].notna().all() and places["label_lat"].notna().all()


def test_at_least_40_places_and_the_required_ones(places):
    inside = places[places["inside_gaza"]]
    assert len(inside) >= 40
    missing = [p for p in REQUIRED if p not in places.index]
    assert not missing
    assert places.loc["khan-younis", "name_ar"] == "خان يونس"
    for variant in ["Khan Yunis", "Khan Yunes"]:
        assert variant in places.loc["khan-younis", "aliases"].split("|")


def test_al_mawasi_is_the_december_2023_area_polygon_with_a_label_point_inside(places):
    row = places.loc["al-mawasi"]
    assert row.geometry.geom_type in ("Polygon", "MultiPolygon")
    area = gpd.GeoSeries([row.geometry], crs=4326).to_crs(AREA_CRS).area.iloc[0] / 1e6
    assert 6.0 < area < 7.5  # the source outline is 6.7 km²
    assert row.geometry.contains(Point(row["label_lon"], row["label_lat"]))
    assert row["kind"] == "area"


def test_crossings_lie_on_the_strip_edge(places, strip_m):
    for pid in ["rafah-crossing", "kerem-shalom-crossing", "erez-crossing"]:
        g = gpd.GeoSeries([places.loc[pid].geometry], crs=4326).to_crs(AREA_CRS).iloc[0]
        assert strip_m.distance(g) < 500, pid
        assert places.loc[pid, "kind"] == "crossing"
    assert places.loc["rafah-crossing", "pcode"] == "PS0275"
    assert "wikipedia.org" in places.loc["kerem-shalom-crossing", "source"]


def test_north_and_south_of_wadi_gaza_tile_the_strip(places, strip_m):
    north = gpd.GeoSeries([places.loc["northern-gaza"].geometry], crs=4326).to_crs(AREA_CRS).iloc[0]
    south = gpd.GeoSeries([places.loc["southern-gaza"].geometry], crs=4326).to_crs(AREA_CRS).iloc[0]
    assert abs((north.area + south.area) - strip_m.area) / strip_m.area < 0.01
    assert north.intersection(south).area < 1e4
    # Gaza City and Jabalia in the north; Khan Younis, Rafah and Deir al-Balah in the south.
    for pid in ["gaza-city", "jabalia", "beit-hanoun"]:
        assert north.contains(gpd.GeoSeries([places.loc[pid].geometry], crs=4326).to_crs(AREA_CRS).iloc[0])
    for pid in ["khan-younis", "rafah", "deir-al-balah", "nuseirat"]:
        assert south.contains(gpd.GeoSeries([places.loc[pid].geometry], crs=4326).to_crs(AREA_CRS).iloc[0])
    assert 120 < north.area / 1e6 < 150


def test_east_of_khan_younis_holds_the_eastern_towns_not_the_city_or_mawasi(places):
    east = places.loc["east-of-khan-younis"].geometry
    for pid in ["bani-suheila", "khuzaa", "abasan-al-kabira", "abasan-al-jadida", "al-qarara"]:
        assert east.contains(places.loc[pid].geometry), pid
    for pid in ["khan-younis-camp", "al-mawasi-khan-younis", "qizan-an-najjar"]:
        assert not east.contains(places.loc[pid].geometry), pid
    assert places.loc["east-of-khan-younis", "pcode"] == "PS0270"


def test_coast_region_touches_the_sea_not_the_fence(places):
    coast = places.loc["coastal-strip"].geometry
    assert coast.intersects(places.loc["al-mawasi"].geometry)
    assert not coast.contains(places.loc["khuzaa"].geometry)
    assert not coast.contains(places.loc["beit-hanoun"].geometry)


def test_every_place_inside_gaza_lies_in_the_strip_and_outside_places_do_not(places, strip_m):
    geoms = places.to_crs(AREA_CRS).geometry
    zone = strip_m.buffer(500)
    inside = places["inside_gaza"]
    bad = [pid for pid, g in geoms[inside].items() if not g.within(zone)]
    assert not bad
    out = [pid for pid, g in geoms[~inside].items() if g.intersects(strip_m)]
    assert not out
    for pid in ["doha", "cairo", "dubai", "tel-aviv", "egypt", "qatar", "jordan", "uae", "united-states", "israel"]:
        assert not places.loc[pid, "inside_gaza"]
        assert pd.isna(places.loc[pid, "pcode"])


def test_governorate_pcode_by_location(places):
    expect = {"beit-hanoun": "PS0255", "gaza-city": "PS0260", "deir-al-balah": "PS0265", "khan-younis": "PS0270",
              "rafah": "PS0275", "shati-camp": "PS0260", "as-siafa": "PS0255"}
    for pid, pcode in expect.items():
        assert places.loc[pid, "pcode"] == pcode, pid
    assert pd.isna(places.loc["northern-gaza", "pcode"])  # spans two governorates


def test_known_pcbs_faults_are_fixed(places):
    assert places.loc["al-bayuk", "name_ar"] == "البيوك"
    assert places.loc["an-naser", "name_ar"] == "النصر"
    assert places.loc["as-siafa", "pcode"] == "PS0255"  # tagged Rafah in the source
    assert places.loc["as-siafa", "name_ar"] == "السيفا"
    assert "أم النصر (القرية البدوية)" in places.loc["umm-al-nasr", "aliases"].split("|")
    assert set(PCBS_FIXES) == {"990020", "753500", "552681", "552760"}


def test_camps_are_named_outlines(places):
    camps = places[places["kind"] == "camp"]
    assert len(camps) == 8
    assert set(camps.geom_type) == {"Polygon"}
    assert "مخيم جباليا" in [places.loc["jabalia-camp", "name_ar"], *places.loc["jabalia-camp", "aliases"].split("|")]


def test_aliases_are_unique_to_one_place(places):
    owner: dict[str, str] = {}
    clashes = []
    for pid, row in places.iterrows():
        for name in {normalize(n) for n in [row["name_en"], *str(row["aliases"]).split("|")] if n}:
            if name in owner and owner[name] != pid:
                clashes.append((name, owner[name], pid))
            owner[name] = pid
    assert not clashes
    assert owner[normalize("Gaza")] == "gaza-strip"
    assert owner[normalize("Gaza City")] == "gaza-city"


def test_split_by_wadi_on_a_square():
    sq = box(0, 0, 10, 10)
    line = LineString([(3, 5), (7, 5)])  # does not reach the edges: ends are extended
    north, south = split_by_wadi(sq, line, Point(5, 9), extend_m=20)
    assert north.area == pytest.approx(50) and south.area == pytest.approx(50)
    assert north.contains(Point(5, 9))


def test_east_of_city_on_a_rectangle():
    strip = box(0, 0, 4, 40)  # long axis north-south: the line through the city runs north-south
    east = east_of_khan_younis(strip, Point(1, 20), strip)
    assert east.area == pytest.approx(3 * 40)
    assert shapely.get_coordinates(east)[:, 0].min() == pytest.approx(1)
