"""Golden checks on the shipped base layers (strip, governorates, blocks, localities)."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from pipeline.core.layers import AREA_CRS, PCODES, SCHEMAS, area_km2
from pipeline.runtime.bundle import load_layer, load_manifest
from tests.conftest import RAW


@pytest.fixture(scope="module")
def strip():
    return load_layer("strip")


@pytest.fixture(scope="module")
def governorates():
    return load_layer("governorates")


@pytest.fixture(scope="module")
def blocks():
    return load_layer("blocks")


def test_strip_area_is_about_365_km2(strip):
    assert len(strip) == 1
    assert strip.crs.to_epsg() == 4326
    assert 360 <= area_km2(strip).iloc[0] <= 370


def test_five_governorates_keyed_by_ocha_pcode(governorates):
    assert sorted(governorates["pcode"]) == sorted(PCODES)
    assert set(governorates["name_en"]) == set(PCODES.values())
    assert governorates["name_ar"].str.contains("[\u0600-\u06ff]", regex=True).all()


def test_governorates_tile_the_strip(governorates, strip):
    g = governorates.to_crs(AREA_CRS)
    overlap = 0.0
    for i in range(len(g)):
        for j in range(i + 1, len(g)):
            overlap += g.geometry.iloc[i].intersection(g.geometry.iloc[j]).area / 1e6
    assert overlap < 0.1
    union = g.union_all().area / 1e6
    strip_area = area_km2(strip).iloc[0]
    assert abs(union - strip_area) / strip_area < 0.02


def test_prewar_population_matches_pcbs_mid2023_within_5_percent(governorates):
    total = governorates["pop_prewar"].sum()
    assert abs(total - 2_226_544) / 2_226_544 < 0.05
    assert governorates["pop_prewar_source"].str.contains("PCBS").all()
    assert (governorates["pop_prewar_year"] == 2023).all()


def test_all_620_blocks_with_ids_and_governorates(blocks):
    assert len(blocks) == 620
    assert blocks["block_id"].is_unique
    assert blocks["block_id"].min() == 1 and blocks["block_id"].max() == 3261
    assert set(blocks["pcode"]) == set(PCODES)
    assert 355 < blocks["area_km2"].sum() < 365
    assert blocks["pop_method"].str.contains("Dasymetric").all()


def test_block_population_sums_to_governorate_totals(blocks, governorates):
    by_gov = blocks.groupby("pcode")["pop_prewar_est"].sum()
    for row in governorates.itertuples():
        assert abs(by_gov[row.pcode] - row.pop_prewar) / row.pop_prewar < 0.005, row.pcode


def test_block_population_is_not_area_alone(blocks):
    """A dasymetric estimate: density varies far more than an area-proportional split would allow."""
    density = blocks["pop_prewar_est"] / blocks["area_km2"]
    per_gov = density.groupby(blocks["pcode"]).agg(["min", "max"])
    assert (per_gov["max"] > 10 * per_gov["min"].clip(lower=1)).all()


def test_no_block_holding_a_pcbs_locality_is_empty(blocks):
    pts = gpd.read_file(RAW / "places" / "communities-pcbs2017.bothness.geojson").to_crs(4326)
    pts = pts[pts["pop2017"].astype(str).str.strip() != ""]
    hit = gpd.sjoin(pts, blocks[["block_id", "pop_prewar_est", "geometry"]], predicate="within")
    assert len(hit) >= 30  # most localities fall on the grid (a few lie in its gaps)
    assert (hit["pop_prewar_est"] > 0).all(), hit.loc[hit["pop_prewar_est"] == 0, "PCBS_NAME"].tolist()


def test_gaza_city_blocks_are_denser_than_rural_rafah(blocks):
    dens = (blocks["pop_prewar_est"].sum() / blocks["area_km2"].sum())
    gaza = blocks[blocks["pcode"] == "PS0260"]
    assert gaza["pop_prewar_est"].sum() / gaza["area_km2"].sum() > dens


def test_every_layer_valid_and_in_epsg4326():
    manifest = load_manifest()
    for name, meta in manifest["layers"].items():
        if not meta["crs"]:
            continue
        gdf = load_layer(name)
        assert gdf.crs.to_epsg() == 4326, name
        if SCHEMAS[name].geometry_nullable:
            gdf = gdf[gdf.geometry.notna()]
        assert shapely.is_valid(gdf.geometry.values).all(), name


def test_manifest_lists_inputs_with_sha256_origin_and_licence():
    manifest = load_manifest()
    files = {s["file"]: s for s in manifest["sources"]}
    assert "blocks/evacuation-blocks.geojson" in files
    for src in manifest["sources"]:
        assert len(src["sha256"]) == 64
        assert src["origin"] and src["licence"]
    for name in ("strip", "governorates", "blocks"):
        meta = manifest["layers"][name]
        assert meta["rows"] > 0 and len(meta["bbox"]) == 4
        assert meta["inputs"] and all(i in files for i in meta["inputs"])
