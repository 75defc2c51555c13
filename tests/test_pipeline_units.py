"""Unit and property tests on small inline data: validation, population spread, atomic bundle writes."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon

from pipeline.__main__ import main
from pipeline.build import derive
from pipeline.build.bundle_writer import write_bundle
from pipeline.core import settings as project_settings
from pipeline.core.errors import InputError, LayerValidationError
from pipeline.core.layers import area_km2, validate_layer
from pipeline.runtime import metrics_index
from pipeline.runtime.bundle import load_layer, load_manifest
from tests.conftest import ROOT, squares


def _blocks(**overrides):
    cols = {"block_id": [1, 2], "neighbourhood": ["a", None], "pcode": ["PS0255", "PS0255"],
            "area_km2": [1.0, 1.0], "pop_prewar_est": [10, 20], "pop_method": ["m", "m"]}
    cols.update(overrides)
    return squares([(0, 0, 1000, 1000), (1000, 0, 2000, 1000)], **cols)


def _strip():
    return squares([(-100, -100, 3000, 3000)], name=["s"], area_km2=[9.6])


def test_valid_layer_passes():
    validate_layer("blocks", _blocks(), source="inline", strip=_strip())


@pytest.mark.parametrize("change, expected", [
    (lambda g: g.drop(columns="pcode"), "missing required column"),
    (lambda g: g.assign(block_id=[1, 1]), "duplicate key 1"),
    (lambda g: g.assign(pcode=["PS0255", None]), "required value is empty"),
    (lambda g: g.set_crs(None, allow_override=True), "has no CRS"),
    (lambda g: g.to_crs(32636), "CRS is EPSG:32636"),
    (lambda g: g.set_geometry([Polygon([(34.40, 31.40), (34.41, 31.41), (34.41, 31.40), (34.40, 31.41)]),
                               g.geometry.iloc[1]], crs=4326), "invalid geometry"),
    (lambda g: g.set_geometry([Point(34.4, 31.4), g.geometry.iloc[1]], crs=4326), "geometry type Point"),
    (lambda g: g.set_geometry(g.geometry.translate(0.2, 0.0)), "outside the Gaza Strip"),
])
def test_validation_names_file_feature_and_reason(change, expected):
    with pytest.raises(LayerValidationError) as err:
        validate_layer("blocks", change(_blocks()), source="raw/x.geojson", strip=_strip())
    msg = str(err.value)
    assert expected in msg and "raw/x.geojson" in msg and "layer 'blocks'" in msg


def test_swapped_lat_lon_is_caught_as_outside_with_a_hint():
    g = _blocks()
    swapped = g.set_geometry(g.geometry.map(lambda p: Polygon([(y, x) for x, y in p.exterior.coords])), crs=4326)
    with pytest.raises(LayerValidationError, match="lat/lon swapped"):
        validate_layer("blocks", swapped, source="x", strip=_strip())


def test_blocks_reader_rejects_non_numeric_block_number(tmp_path):
    g = squares([(0, 0, 10, 10)], Name=["12a"], description=["x"])
    g.to_file(tmp_path / "b.geojson")
    with pytest.raises(InputError, match="'12a' is not a whole number"):
        derive.blocks_from_grid(tmp_path / "b.geojson")


def test_blocks_reader_maps_null_label_to_missing(tmp_path):
    g = squares([(0, 0, 10, 10), (10, 0, 20, 10)], Name=[7, 8], description=["<Null>", "ח'אנ יונס"])
    g.to_file(tmp_path / "b.geojson")
    out = derive.blocks_from_grid(tmp_path / "b.geojson")
    assert out["block_id"].tolist() == [7, 8]
    assert out["neighbourhood"].isna().tolist() == [True, False]


def test_largest_overlap_assignment():
    targets = squares([(0, 0, 100, 100), (150, 0, 250, 100)])
    zones = squares([(0, 0, 160, 100), (160, 0, 400, 100)], pcode=["A", "B"])
    assert derive.assign_largest_overlap(targets, zones, "pcode").tolist() == ["A", "B"]


def test_locality_sources_take_points_and_remainder():
    gov = squares([(0, 0, 2000, 1000)], pcode=["PS0255"])
    polys = squares([(0, 0, 1000, 1000)], poly_name=["Town"])
    pts = gpd.GeoDataFrame({"name_en": ["Town", "Farm"], "pcode": ["PS0255"] * 2,
                            "pop_prewar_est": [900.0, 100.0], "pop2017": [800.0, 90.0]},
                           geometry=[Point(600_500, 3_470_500), Point(601_500, 3_470_500)], crs=32636).to_crs(4326)
    src = derive.locality_sources(polys, pts, gov)
    town = src[src["name_en"] == "Town"]
    rest = src[src["name_en"].str.startswith("(land")]
    assert town["pop"].iloc[0] == pytest.approx(900)
    assert rest["pop"].iloc[0] == pytest.approx(100)
    assert src["pop"].sum() == pytest.approx(1000)


def test_spread_concentrates_population_where_localities_are():
    sources = squares([(0, 0, 1000, 1000), (1000, 0, 2000, 1000)], pop=[1000.0, 0.0])
    blocks = squares([(0, 0, 500, 1000), (500, 0, 1500, 1000), (1500, 0, 2000, 1000)])
    est = derive.spread_to_blocks(sources, blocks)
    assert est == pytest.approx([500, 500, 0], abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    pops=st.lists(st.floats(min_value=0, max_value=1e6), min_size=2, max_size=5),
    cuts=st.lists(st.floats(min_value=0.05, max_value=0.95), min_size=1, max_size=4, unique=True),
)
def test_property_population_is_conserved_when_spread(pops, cuts):
    n = len(pops)
    sources = squares([(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(n)], pop=pops)
    edges = [0.0, *sorted(c * n * 1000 for c in cuts), n * 1000.0]
    # consecutive pairs: edges[1:] is one shorter, so the last edge pairs with nothing
    blocks = squares([(a, 0, b, 1000) for a, b in zip(edges, edges[1:], strict=False) if b - a > 1])
    est = derive.spread_to_blocks(sources, blocks)
    assert est.sum() == pytest.approx(sum(pops), rel=1e-6, abs=1e-3)
    assert (est >= -1e-9).all()


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.floats(min_value=0, max_value=1e5), min_size=1, max_size=30),
       total=st.integers(min_value=0, max_value=10_000_000))
def test_property_rake_and_round_hit_the_total_exactly(values, total):
    groups = pd.Series(["A"] * len(values))
    raked = derive.rake_to_totals(np.array(values), groups, pd.Series({"A": total}))
    rounded = derive.round_preserving_total(raked, groups)
    assert int(rounded.sum()) == total
    assert (rounded >= 0).all()


@settings(max_examples=30, deadline=None)
@given(x=st.floats(min_value=34.22, max_value=34.56), y=st.floats(min_value=31.22, max_value=31.59),
       size=st.floats(min_value=0.001, max_value=0.5))
def test_property_no_area_inside_the_strip_exceeds_the_strip(x, y, size):
    strip = load_layer("strip")
    square = gpd.GeoSeries([Polygon([(x, y), (x + size, y), (x + size, y + size), (x, y + size)])], crs=4326)
    inside = square.intersection(strip.geometry.iloc[0])
    assert area_km2(inside).iloc[0] <= area_km2(strip).iloc[0] + 1e-9


def test_failed_write_leaves_previous_bundle_untouched(tmp_path):
    out = tmp_path / "bundle"
    write_bundle({"strip": _strip()}, out_dir=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    class Boom(pd.DataFrame):
        def reset_index(self, *a, **k):  # fails while the second layer is written
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_bundle({"a": _strip(), "b": Boom({"x": [1]})}, out_dir=out)
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".bundle-tmp-")]


def test_build_stops_on_a_bad_source_and_keeps_the_bundle(tmp_path):
    import shutil

    from pipeline.build.run import build
    from pipeline.build.steps import STEPS

    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "geodata" / "raw", raw)
    out = tmp_path / "bundle"
    build(raw_dir=raw, out_dir=out, steps=STEPS[:2], progress=lambda m: None)
    before = (out / "manifest.json").read_bytes()
    data = json.loads((raw / "blocks" / "evacuation-blocks.geojson").read_text())
    data["features"][5]["properties"]["Name"] = data["features"][6]["properties"]["Name"]
    (raw / "blocks" / "evacuation-blocks.geojson").write_text(json.dumps(data))
    with pytest.raises(InputError) as err:
        build(raw_dir=raw, out_dir=out, steps=STEPS[:2], progress=lambda m: None)
    assert "duplicate key" in str(err.value) and "blocks/evacuation-blocks.geojson" in str(err.value)
    assert (out / "manifest.json").read_bytes() == before


def test_build_refuses_a_raw_file_without_provenance(tmp_path):
    from pipeline.build.context import BuildContext

    (tmp_path / "mystery.csv").write_text("a\n1\n")
    with pytest.raises(InputError, match="no provenance record"):
        BuildContext(raw_dir=tmp_path).path("mystery.csv")


def test_every_setting_is_documented():
    for s in project_settings.SETTINGS.values():
        assert len(s.help) > 20, s.name


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert project_settings.settings_table() in readme, "paste `python -m pipeline settings-table` into README"


def test_setting_overridden_by_environment(monkeypatch):
    monkeypatch.setenv("GDM_MAX_UPLOAD_MB", "7")
    assert project_settings.get(project_settings.MAX_UPLOAD_MB) == 7


def test_summary_shape_is_stable(capsys):
    assert main(["summary"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["layers"]["blocks"]["rows"] == 620
    assert data["layers"]["blocks"]["crs"] == "EPSG:4326"
    assert len(data["layers"]["blocks"]["bbox"]) == 4
    assert isinstance(data["sources"], list) and data["sources"]
    assert set(load_manifest()["layers"]) <= set(data["layers"])


def test_sources_md_table_is_generated_from_provenance():
    from pipeline.build.provenance import sources_table

    text = (ROOT / "geodata" / "SOURCES.md").read_text(encoding="utf-8")
    assert sources_table() in text, "regenerate with `python -m pipeline sources-table`"


def test_every_bundle_input_has_a_provenance_record():
    from pipeline.build.provenance import provenance_for

    for src in load_manifest()["sources"]:
        assert provenance_for(src["file"]) is not None, src["file"]


def test_layer_bytes_do_not_depend_on_how_the_crs_was_spelt(tmp_path):
    """EPSG:4326 read from WKT1 (a datum) and from the EPSG code (a datum ensemble) write the same bytes."""
    from pyproj import CRS

    from pipeline.core.storage import write_layer

    wkt1 = ('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],'
            'AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],'
            'AUTHORITY["EPSG","4326"]]')
    g = _strip()
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    write_layer(g.set_crs(CRS.from_wkt(wkt1), allow_override=True), a)
    write_layer(g.set_crs(4326, allow_override=True), b)
    assert a.read_bytes() == b.read_bytes()
    assert gpd.read_parquet(a).crs.to_epsg() == 4326


def test_metrics_index_is_built_once_under_concurrent_first_use():
    """The dashboard warms the index in a background thread while a page may ask for it too."""
    from concurrent.futures import ThreadPoolExecutor

    metrics_index._index.cache_clear()
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: metrics_index.index(), range(3)))
    assert results[0] is results[1] is results[2]
    assert metrics_index._index.cache_info().misses == 1


def test_prewarm_starts_once_per_process():
    from dashboard import prewarm

    prewarm.start()
    prewarm.start()
    import threading

    assert sum(t.name == "gdm-prewarm" for t in threading.enumerate()) <= 1
