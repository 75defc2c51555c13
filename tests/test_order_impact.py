"""The facilities layer and the per-order impact, on the real shipped bundle and raw files."""

from __future__ import annotations

import csv
import io
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pipeline.__main__ import main
from pipeline.build.sources import facilities as fa
from pipeline.core.facilities import FACILITY_KINDS
from pipeline.core.layers import AREA_CRS
from pipeline.runtime import order_impact as oi
from pipeline.runtime.bundle import load_layer
from pipeline.runtime.metrics_index import index

from .conftest import ROOT

RAW = ROOT / "geodata" / "raw"


@pytest.fixture(scope="module")
def layers():
    return index(), load_layer("facilities"), load_layer("blocks")


@pytest.fixture(scope="module")
def rules():
    return fa.read_rules(RAW / fa.RULES_FILE)


@pytest.fixture(scope="module")
def names():
    return fa.landmark_names(gpd.read_file(RAW / fa.LANDMARKS_FILE))


# ------------------------------------------------------------------ facilities layer

def test_facilities_layer_keeps_every_landmark_and_counts_by_kind(layers):
    _, fac, _ = layers
    assert len(fac) == 4320 and fac["facility_id"].is_unique
    counts = fac["kind"].value_counts().to_dict()
    assert counts == {"school": 382, "hospital": 52, "clinic": 155, "pharmacy": 457, "water": 146, "bakery": 37,
                      "mosque": 773, "shelter": 1, "other": 2317}
    assert set(fac["kind"]) <= set(FACILITY_KINDS)
    assert (fac["rule"] == 0).sum() == 1921  # matched no rule: kept as "other", counted
    assert fac["pcode"].notna().all() and fac["block_id"].isna().sum() == 2


@pytest.mark.parametrize("name, kind", [
    ("مسجد المحطة", "mosque"),                       # head noun decides: the mosque of the station
    ("محطة تحلية مياه مسجد الفضيلة", "water"),         # desalination plant of a mosque
    ("حاوية ١ كوب المستشفى الاندونيسي", "other"),       # a rubbish container near the hospital
    ("مستشفى الشفاء", "hospital"),
    ("مجمع الشفاء الطبي", "hospital"),
    ("صيدلية مجمع الصحابة الطبي-غزة", "pharmacy"),
    ("ص الاقصى المركزيه غزه", "pharmacy"),
    ("مركز ايواء النخيل", "shelter"),
    ("مخبز اليازجي", "bakery"),
    ("مخبوزات برشلونة", "other"),                    # pastry shop
    ("عيادة الوكالة تل السلطان", "clinic"),
    ("المركز الصحي بيت حانون", "clinic"),
    ("مدرسة الأونروا للبنات", "school"),
    ("المجمع الاسلامي مدرسه الاقصى", "school"),
    ("بئر مياه الفدائية", "water"),
    ("محطة الصرف الصحي الوفية", "water"),
    ("جامعة الأزهر نتساريم غزة", "other"),            # جامعة (university) is not جامع (mosque)
    ("روضة الوكالة للاطفال", "other"),               # kindergarten
])
def test_real_names_are_classified(rules, names, name, kind):
    assert (names == name).any(), f"{name} is not a name in the landmarks file"
    assert fa.classify(name, rules)[0] == kind


def test_every_rule_has_a_real_example_that_it_classifies(rules, names):
    real = set(names)
    for r in rules:
        assert r.example in real, f"rule {r.rule}: example {r.example!r} is not a real name"
        assert fa.classify(r.example, rules) == (r.kind, r.rule), f"rule {r.rule} does not decide its example"


# ------------------------------------------------------------------ impact

def test_dec2_orders(layers):
    ix, fac, blocks = layers
    one = oi.impact(ix, fac, blocks, order_id="gazamaps-18")
    assert (one["issued_on"], one["mapped"], one["blocks"]["count"]) == ("2023-12-02", True, 167)
    assert one["area_km2"] == pytest.approx(81.342, abs=0.01)
    assert one["facilities"]["total"] == 992
    # facilities inside a block order = the facilities whose block it names
    ids = set(fac.loc[fac["block_id"].isin(one["blocks"]["block_ids"]), "facility_id"])
    assert set(one["facilities"]["facility_ids"]) == ids
    per = oi.impact(ix, fac, blocks, start="2023-12-02", end="2023-12-02")
    assert per["order_ids"] == ["gazamaps-18", "gazamaps-42"]
    assert per["facilities"]["total"] == 1111 and per["blocks"]["count"] == 179
    assert per["population_prewar_est"] == 539407


def test_a_block_is_counted_once_and_sums_hold(layers):
    ix, fac, blocks = layers
    rows = oi.impact_table(ix, fac, blocks)
    per = oi.impact(ix, fac, blocks, start="2023-10-07", end="2025-12-31")
    assert len(per["blocks"]["block_ids"]) == len(set(per["blocks"]["block_ids"])) == per["blocks"]["count"]
    assert len(per["facilities"]["facility_ids"]) == len(set(per["facilities"]["facility_ids"]))
    assert per["facilities"]["total"] <= len(fac)
    assert per["population_prewar_est"] <= int(blocks["pop_prewar_est"].sum())
    assert per["area_km2"] <= ix.strip_area + 1e-6
    mapped = [r for r in rows if r["mapped"]]
    assert per["area_km2"] < sum(r["area_km2"] for r in mapped)  # overlaps counted once, not summed
    union_fac = set().union(*(r["facilities"]["facility_ids"] for r in mapped))
    assert set(per["facilities"]["facility_ids"]) == union_fac
    for r in mapped:
        assert r["facilities"]["total"] <= per["facilities"]["total"]
        assert sum(r["facilities"]["by_kind"].values()) == r["facilities"]["total"]
        assert 0 <= r["new"]["area_km2"] <= r["area_km2"] + 1e-3


def test_new_area_matches_a_fresh_shapely_union(layers):
    ix, fac, blocks = layers
    orders = load_layer("orders")
    strip = load_layer("strip").to_crs(AREA_CRS).union_all()
    o = orders[orders.geometry.notna()].to_crs(AREA_CRS)
    issued = pd.to_datetime(o["issued_on"]).dt.date.astype(str)
    before = shapely.union_all(o.loc[issued < "2023-12-02", "geometry"].to_numpy()).intersection(strip)
    this = o.loc[o["order_id"] == "gazamaps-18", "geometry"].iloc[0]
    expected = (shapely.union(before, this).intersection(strip).area - before.area) / 1e6
    r = oi.impact(ix, fac, blocks, order_id="gazamaps-18")
    assert r["new"]["area_km2"] == pytest.approx(expected, abs=0.05)
    assert (r["new"]["earlier_from"], r["new"]["earlier_to"]) == ("2023-10-07", "2023-12-01")


def test_zone_taken_matches_shapely(layers):
    ix, fac, blocks = layers
    r = oi.impact(ix, fac, blocks, order_id="gazamaps-3")
    assert r["zone"]["zone_id"] == "hz_006"
    orders = load_layer("orders").to_crs(AREA_CRS)
    zones = load_layer("zones").to_crs(AREA_CRS)
    g = orders.loc[orders["order_id"] == "gazamaps-3", "geometry"].iloc[0]
    z = zones.loc[zones["zone_id"] == "hz_006", "geometry"].iloc[0]
    assert r["zone"]["taken_km2"] == pytest.approx(g.intersection(z).area / 1e6, abs=0.02)
    assert 0 < r["zone"]["share_of_zone"] <= 1


def test_gaza_city_29_jan_2024_against_ocha_59_shelters(layers):
    """OCHA: the 29 Jan 2024 order covered '59 shelters' (most of them schools). We count schools; the
    landmarks file names only one place a shelter, and none in these blocks."""
    ix, fac, blocks = layers
    r = oi.impact(ix, fac, blocks, order_id="gazamaps-15")
    assert r["issued_on"] == "2024-01-29" and r["governorates"] == [{"pcode": "PS0260", "name": "Gaza"}]
    by = r["facilities"]["by_kind"]
    assert (by["school"], by["shelter"], by["hospital"], by["clinic"]) == (57, 0, 13, 26)
    assert r["population_prewar_est"] == 170741
    assert r["new"]["label"] == "repeat"  # the blocks were ordered before (13 Oct 2023 area order)


def test_unmapped_order_has_no_figures_not_zero(layers):
    ix, fac, blocks = layers
    r = oi.impact(ix, fac, blocks, order_id="gazamaps-105")
    assert (r["mapped"], r["status"], r["area_km2"], r["facilities"]["total"]) == (False, "reported, not mapped",
                                                                                   None, None)


# ------------------------------------------------------------------ CLI

def test_cli_json_shape_and_dec2_count(capsys):
    assert main(["orders", "--from", "2023-12-02", "--to", "2023-12-02"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["from", "to", "facility_kinds", "period", "orders"]
    assert list(out["facility_kinds"]) == list(FACILITY_KINDS)
    keys = ["scope", "order_id", "issued_on", "kind", "mapped", "status", "source_name", "source_url", "link",
            "sources", "source_urls", "stated_area_km2", "blocks", "governorates", "area_km2", "share_of_strip",
            "population_prewar_est", "facilities", "zone", "new", "destination", "definitions"]
    assert [list(o) for o in out["orders"]] == [keys, keys]
    assert list(out["period"]) == ["scope", "from", "to", "order_ids", "mapped_order_ids", "not_mapped_order_ids",
                                   "sources", "blocks", "governorates", "area_km2", "share_of_strip",
                                   "population_prewar_est", "facilities", "zone", "new", "destination",
                                   "definitions"]
    assert list(out["period"]["facilities"]) == ["total", "by_kind", "facility_ids"]
    assert list(out["period"]["facilities"]["by_kind"]) == list(FACILITY_KINDS)
    assert out["period"]["facilities"]["total"] == 1111


def test_cli_csv(capsys):
    assert main(["orders", "--from", "2024-01-29", "--to", "2024-01-29", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == oi.TABLE_COLUMNS
    assert [(r["scope"], r["order_id"]) for r in rows] == [("order", "gazamaps-15"),
                                                           ("period", "2024-01-29..2024-01-29")]
    assert rows[0]["facilities_school"] == "57"


def test_cli_rejects_a_bad_date(capsys):
    assert main(["orders", "--from", "2024-13-40"]) == 2
    assert "error:" in capsys.readouterr().err


def test_every_order_has_a_row(layers):
    """One row per order of the layer (speed is measured by bench/bench_order_impact.py, not here)."""
    ix, fac, blocks = layers
    rows = oi.impact_table(ix, fac, blocks)
    assert len(rows) == len(load_layer("orders")) == 145
    assert sum(r["kind"] == "reported, not mapped" for r in rows) == 6  # listed, with no figures of their own
    assert np.isfinite([r["area_km2"] for r in rows if r["mapped"]]).all()


def test_what_changed_lists_the_orders_of_the_day_or_window(layers):
    ix, fac, blocks = layers
    day = oi.what_changed(ix, fac, blocks, "2023-12-02")
    assert [r["order_id"] for r in day] == ["gazamaps-18", "gazamaps-42"]
    assert [r["new"]["label"] for r in day] == ["partly new", "repeat"]
    week = oi.what_changed(ix, fac, blocks, "2023-12-04", window=3)
    assert [r["issued_on"] for r in week] == sorted(r["issued_on"] for r in week)
    assert {"gazamaps-18", "gazamaps-42"} <= {r["order_id"] for r in week}
    assert all("2023-12-02" <= r["issued_on"] <= "2023-12-04" for r in week)
