"""Evacuation orders: id matching, polygon matching, area orders, duplicates, and the real shipped files."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from pipeline.build.sources import orders as od
from pipeline.runtime.bundle import load_layer, load_manifest
from tests.conftest import RAW, squares

# --------------------------------------------------------------------------- small inline data


def grid():
    # four 1 km squares in a row: blocks 1, 2, 3, 100
    return squares([(0, 0, 1000, 1000), (1000, 0, 2000, 1000), (2000, 0, 3000, 1000), (3000, 0, 4000, 1000)],
                   block_id=[1, 2, 3, 100])


def test_parse_block_ids_keeps_order_and_drops_repeats():
    assert od.parse_block_ids("719, 719, 723, 89.3,") == ["719", "723", "89.3"]
    assert od.parse_block_ids("") == []
    assert od.parse_block_ids(None) == []


@pytest.mark.parametrize("raw,expected", [
    ("100", (100, "exact")),
    ("100.1", (100, "parent-of-sub-block")),
    ("100.0", (100, "exact")),
    ("101", (None, "unknown")),
    ("101.2", (None, "unknown")),
    ("abc", (None, "unknown")),
])
def test_block_id_matching(raw, expected):
    assert od.match_block_id(raw, {1, 2, 3, 100}) == expected


def test_polygons_matched_by_iou_and_unmatched_reported():
    polys = squares([(0, 0, 1000, 1000), (2010, 0, 3000, 990), (500, 0, 1500, 1000)])
    m = od.match_polygons_to_blocks(polys, grid())
    assert m["block_id"].tolist()[:2] == [1, 3]
    assert pd.isna(m["block_id"].iloc[2])  # straddles two blocks: IoU 1/3 < 0.5
    assert m["iou"].iloc[2] == pytest.approx(1 / 3, abs=0.01)


def test_majority_blocks_of_an_area():
    area = squares([(0, 0, 1600, 1000)]).geometry.iloc[0]  # all of 1, 60 % of 2
    assert od.majority_blocks(area, grid()) == [1, 2]


def raw(oid, d, ids, area=None, src=od.SOURCE_GAZAMAPS):
    return od.RawOrder(oid, date.fromisoformat(d), src, f"https://example.org/{oid}", area, ids)


def test_unknown_ids_are_kept_and_reported_never_dropped():
    res = od.assemble_orders([raw("g1", "2024-01-01", ["1", "2.1", "999"], 2.0)], [], grid())
    ob = res.order_blocks.set_index("raw_id")
    assert ob.loc["1", "matched_as"] == "exact"
    assert ob.loc["2.1", "matched_as"] == "parent-of-sub-block" and ob.loc["2.1", "block_id"] == 2
    assert ob.loc["999", "matched_as"] == "unknown" and pd.isna(ob.loc["999", "block_id"])
    assert res.report["unknown_ids"] == ["g1: 999"]
    assert res.report["id_match_totals"] == {"exact": 1, "sub-block-outline": 0, "parent-of-sub-block": 1, "unknown": 1}
    o = res.orders.iloc[0]
    assert o["block_count"] == 2 and o["area_km2"] == pytest.approx(2.0, rel=1e-3)


def test_area_order_is_placed_by_its_area_and_other_empty_orders_are_listed():
    area = squares([(0, 0, 1600, 1000)]).geometry.iloc[0]
    res = od.assemble_orders([raw("g1", "2023-10-13", [], 0.0), raw("g2", "2023-11-15", [], 0.0)], [], grid(),
                             areas={"2023-10-13": (area, "test area")})
    o = res.orders.set_index("order_id")
    assert o.loc["g1", "kind"] == "area"
    assert o.loc["g1", "area_km2"] == pytest.approx(1.6, rel=1e-3)  # the area, not the majority blocks
    assert o.loc["g1", "block_count"] == 2
    assert o.loc["g2", "kind"] == "unplaced" and o.loc["g2", "geometry"] is None
    assert [u["order_id"] for u in res.report["unplaced_orders"]] == ["g2"]
    assert res.report["area_orders"][0]["placed_as"] == "test area"
    assert set(res.order_blocks.loc[res.order_blocks["order_id"] == "g1", "matched_as"]) == {"area-majority"}


def test_duplicate_in_two_sources_becomes_one_order_with_both_sources():
    g = raw("g1", "2025-01-01", ["1", "2", "3"], 3.0)
    o_same = raw("o1", "2025-01-01", ["1", "2", "3", "100"], src=od.SOURCE_OCHA)   # J = 0.75, same day
    o_other = raw("o2", "2025-01-01", ["100"], src=od.SOURCE_OCHA)  # would be a second group on the same date
    res = od.assemble_orders([g], [o_same], grid())
    assert res.orders["order_id"].tolist() == ["g1"]
    o = res.orders.iloc[0]
    assert od.SOURCE_GAZAMAPS in o["sources"] and od.SOURCE_OCHA in o["sources"]
    assert o["block_count"] == 4  # union of what both sources name
    assert res.report["merged_duplicates"] == {"g1": ["o1"]}
    res2 = od.assemble_orders([g], [o_other], grid())
    assert sorted(res2.orders["order_id"]) == ["g1", "o2"]


def test_duplicate_rule_next_day_needs_high_overlap():
    p = {"g1": (date(2025, 5, 29), {1, 2, 3, 4, 5})}
    assert od.find_duplicates(p, {"o": (date(2025, 5, 30), {1, 2, 3, 4, 5})}) == {"o": ["g1"]}
    assert od.find_duplicates(p, {"o": (date(2025, 5, 30), {1, 2, 3})}) == {}   # J 0.6 < 0.8
    assert od.find_duplicates(p, {"o": (date(2025, 6, 2), {1, 2, 3, 4, 5})}) == {}  # 4 days apart
    # same day, small list wholly inside: containment
    assert od.find_duplicates(p, {"o": (date(2025, 5, 29), {1})}) == {"o": ["g1"]}


# --------------------------------------------------------------------------- the real shipped files


@pytest.fixture(scope="module")
def shipped():
    return load_layer("orders"), load_layer("order_blocks"), load_manifest()["report"]


def test_every_gazamaps_order_is_in_the_layer(shipped):
    orders, _, _ = shipped
    src = json.loads((RAW / od.GAZAMAPS_FILE).read_text())
    assert len(src) == 109
    assert {f"gazamaps-{r['id']}" for r in src} <= set(orders["order_id"])
    assert (orders["source_name"] == od.SOURCE_GAZAMAPS).sum() == 109


def test_every_ocha_date_and_both_december_orders_are_kept_or_merged(shipped):
    orders, _, report = shipped
    dates = sorted(set(pd.read_csv(RAW / od.OCHA_FILE)["date"]))
    assert len(dates) == 64
    merged = {m for v in report["orders_merged_duplicates"]["into"].values() for m in v}
    for d in dates:
        assert f"ocha-{d}" in set(orders["order_id"]) | merged
    for d in ("2023-12-02", "2023-12-04"):
        assert f"bothness-{d}" in set(orders["order_id"]) | merged
    poly = report["orders_polygon_matching"]
    assert poly["bothness-2023-12-02"]["matched"] == 174 and poly["bothness-2023-12-04"]["matched"] == 26
    print("\norders by kind:", report["orders_total"], "merged:", report["orders_merged_duplicates"]["count"])


def test_no_block_id_is_dropped(shipped):
    _, ob, report = shipped
    src = json.loads((RAW / od.GAZAMAPS_FILE).read_text())
    for r in src:
        ids = set(od.parse_block_ids(r["displacement_blocks"]))
        got = set(ob.loc[(ob["order_id"] == f"gazamaps-{r['id']}") & (ob["source_name"] == od.SOURCE_GAZAMAPS),
                         "raw_id"].dropna())  # area-majority rows have no raw id
        assert ids == got, r["id"]
    ocha = set(pd.read_csv(RAW / od.OCHA_FILE, dtype=str)["COD_mod"])
    assert ocha == set(ob.loc[ob["source_name"] == od.SOURCE_OCHA, "raw_id"])
    unknown = ob[ob["matched_as"] == "unknown"]
    assert sorted(unknown["raw_id"]) == ["1710", "930"]  # the two OCHA ids the grid lacks (SOURCES.md)
    assert len(report["orders_unknown_ids"]) == 2
    print("\nid matches:", report["orders_id_match_totals"])


def test_the_13_october_order_counts_with_the_area_north_of_wadi_gaza(shipped):
    orders, _, report = shipped
    o = orders.set_index("order_id").loc["gazamaps-102"]
    assert o["kind"] == "area" and 130 < o["area_km2"] < 140
    assert report["orders_north_area_check"]["iou"] > 0.95
    assert [a["order_id"] for a in report["orders_area_orders"]] == ["gazamaps-102"]


def test_order_geometry_is_the_union_of_its_blocks(shipped):
    orders, ob, _ = shipped
    blocks = load_layer("blocks").set_index("block_id")
    o = orders.set_index("order_id").loc["gazamaps-119"]
    ids = ob.loc[ob["order_id"] == "gazamaps-119", "block_id"].dropna().astype(int).unique()
    assert o["block_count"] == len(ids) == 4
    assert o["area_km2"] == pytest.approx(blocks.loc[ids, "area_km2"].sum(), rel=1e-3)


def test_cross_check_our_area_against_gazamaps_stated_area():
    blocks = load_layer("blocks")
    gm = od.read_gazamaps(RAW / od.GAZAMAPS_FILE)
    cc = od.cross_check(gm, load_layer("order_blocks"), blocks)
    rel = cc["rel_diff"].abs()
    median, p90 = float(rel.median()), float(rel.quantile(0.9))
    print(f"\ncross-check over {len(cc)} orders: median |rel diff| {median:.2%}, p90 {p90:.2%}")
    assert len(cc) >= 95
    assert median <= 0.05
    # the large differences come from sub-blocks counted as whole parents, not from exact ids
    exact_only = cc[(cc["sub_blocks"] == 0) & (cc["unknown"] == 0)]
    assert exact_only["rel_diff"].abs().max() < 0.05
