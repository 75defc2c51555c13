"""pipeline.runtime.metrics: definitions and rules on a tiny inline bundle, invariants and figures on the shipped bundle."""

from __future__ import annotations

import json
from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.__main__ import main
from pipeline.build.bundle_writer import write_bundle
from pipeline.build.sources import orders as od
from pipeline.runtime import metrics
from pipeline.runtime.bundle import load_layer
from pipeline.runtime.metrics_index import _disjoint_pieces, index
from tests.conftest import squares

# --------------------------------------------------------------------------- a tiny bundle


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Strip 4x1 km; blocks 1..4 (1 km² each, pops 10/20/30/40); orders naming overlapping blocks."""
    out = tmp_path_factory.mktemp("tiny") / "bundle"
    strip = squares([(0, 0, 4000, 1000)], name=["Strip"], area_km2=[4.0])
    blocks = squares([(0, 0, 1000, 1000), (1000, 0, 2000, 1000), (2000, 0, 3000, 1000), (3000, 0, 4000, 1000)],
                     block_id=[1, 2, 3, 4], pop_prewar_est=[10, 20, 30, 40],
                     pcode=["PS0255", "PS0255", "PS0275", "PS0275"])
    gov = squares([(0, 0, 2000, 1000), (2000, 0, 4000, 1000)], pcode=["PS0255", "PS0275"],
                  pop_prewar=[300, 700], pop_prewar_source=["test", "test"])
    area = squares([(0, 0, 1400, 1000)]).geometry.iloc[0]  # an area order: all of block 1, 40 % of block 2

    def raw(oid, d, ids, src=od.SOURCE_GAZAMAPS, area_km2=1.0):
        return od.RawOrder(oid, date.fromisoformat(d), src, "https://example.org", area_km2, ids)

    res = od.assemble_orders(
        [raw("a", "2023-10-13", [], area_km2=0.0), raw("b", "2023-12-01", ["2", "3"]),
         raw("c", "2023-12-02", ["3", "3.1"]), raw("d", "2023-12-05", ["4", "999"]),
         raw("e", "2023-12-06", [], area_km2=0.0)],
        [], blocks, areas={"2023-10-13": (area, "test area")})
    zones = squares([(3000, 0, 4000, 1000), (2000, 0, 4000, 1000)], zone_id=["z1", "z2"],
                    kind=["humanitarian zone", "humanitarian zone"], name=["z1", "z2"],
                    valid_from=[date(2023, 12, 1), date(2023, 12, 4)], valid_to=[date(2023, 12, 4), None],
                    area_km2=[1.0, 2.0], source=["t", "t"])
    x0, y0 = 600_000.0, 3_470_000.0
    pts = gpd.GeoSeries(gpd.points_from_xy([x0 + 3500, x0 + 2500, x0 + 500, x0 + 2500],
                                           [y0 + 500] * 4), crs=32636).to_crs(4326)
    events = gpd.GeoDataFrame({
        "event_id": ["e1", "e2", "e3", "e4"], "date": [date(2023, 12, 2), date(2023, 12, 2), date(2023, 12, 1),
                                                       date(2023, 11, 1)],
        "kind": "k", "fatalities": pd.array([2, None, 5, 9], dtype="Int64"), "location": None,
        "pcode": ["PS0275", "PS0275", "PS0255", "PS0275"], "block_id": pd.array([4, 3, 1, 3], dtype="Int64"),
        "dataset": "t", "source": "test", "source_url": "", "geo_precision": None, "notes": None},
        geometry=pts, crs=4326)
    series = pd.DataFrame({
        "date": [date(2023, 12, 1), date(2023, 12, 1), date(2023, 12, 1), date(2023, 12, 2)],
        "metric": ["population_adults_est", "population_adults_est", "killed_cum", "killed_cum"],
        "value": [100.0, 300.0, 10.0, 15.0], "unit": ["adults (18+)", "adults (18+)", "people", "people"],
        "pcode": ["PS0255", "PS0275", None, None], "source": "test", "filled": [False, False, False, True],
        "method": "m", "flag": ["at most (audience floor)", None, None, None]})
    claims = pd.DataFrame({"date": [date(2023, 12, 2)], "claim": ["share of people in the south"],
                           "figure": [80.0], "unit": ["percent (about)"], "attributed_to": ["report"],
                           "place_id": [None], "source": ["press report"]})
    orders = res.orders
    write_bundle({"strip": strip, "blocks": blocks, "governorates": gov, "orders": orders,
                  "order_blocks": res.order_blocks, "zones": zones, "events": events, "series": series,
                  "claims": claims}, out_dir=out)
    return str(out)


def test_a_block_named_by_several_orders_counts_once(tiny):
    m = metrics.compute(index(tiny), "2023-12-02", since="2023-12-01", window=7)
    o = m["orders"]
    assert o["blocks"] == 2 and o["block_ids"] == [2, 3]
    assert o["area_km2"] == pytest.approx(2.0, rel=1e-3)
    assert o["share_of_strip"] == pytest.approx(0.5, abs=1e-3)
    assert o["population_prewar_est"] == 50
    assert o["order_ids"] == ["b", "c"]
    assert o["definition"] and o["sources"] == [od.SOURCE_GAZAMAPS]


def test_area_order_counts_with_its_area_and_majority_blocks(tiny):
    m = metrics.compute(index(tiny), "2023-12-02", since="2023-10-01")["orders"]
    # area (1.4 km²) ∪ blocks 2, 3  = 3 km²; blocks counted: 1 (majority in area), 2, 3
    assert m["area_km2"] == pytest.approx(3.0, rel=1e-3)
    assert m["blocks"] == 3 and m["population_prewar_est"] == 60
    only_area = metrics.compute(index(tiny), "2023-10-20", since="2023-10-01")["orders"]
    assert only_area["area_km2"] == pytest.approx(1.4, rel=1e-3) and only_area["blocks"] == 1


def test_recent_window_and_unplaced_orders(tiny):
    m = metrics.compute(index(tiny), "2023-12-06", since="2023-12-01", window=2)["orders"]
    assert m["recent"]["blocks"] == 1 and m["recent"]["area_km2"] == pytest.approx(1.0, rel=1e-3)
    assert m["recent"]["from"] == "2023-12-05"
    assert m["unplaced_order_ids"] == ["e"] and "e" in m["order_ids"]
    assert m["blocks"] == 3


def test_zone_strikes_series_and_shares(tiny):
    m = metrics.compute(index(tiny), "2023-12-02", since="2023-12-01", window=2)
    assert m["zone"]["zone_id"] == "z1"
    s = m["strikes"]
    assert s["count"] == 3 and s["fatalities"] == 7 and s["events_reporting_fatalities"] == 2
    assert s["inside_zone"] == 1  # e1 in z1 (declared 1 Dec); e2 lies in z2's area, not yet declared
    assert s["by_governorate"]["PS0275"]["count"] == 2 and s["by_block"] == {"1": 1, "3": 1, "4": 1}
    assert m["series"]["killed_cumulative"]["value"] == 15 and m["series"]["killed_cumulative"]["filled"] is True
    p = m["population_shares"]
    assert p["basis"] == "series" and p["south_share"] == pytest.approx(0.75)
    assert p["by_governorate"]["PS0255"]["flag"].startswith("at most")
    assert p["claim"]["figure"] == 80 and p["claim"]["attributed_to"] == "report"
    later = metrics.compute(index(tiny), "2024-03-01")
    assert later["population_shares"]["basis"] == "prewar"
    assert later["population_shares"]["south_share"] == pytest.approx(0.7)
    assert later["zone"]["zone_id"] == "z2"


def test_block_status_and_history(tiny):
    st_ = metrics.block_status(index(tiny), "2023-12-06", since="2023-12-01", window=2).set_index("block_id")
    assert st_["status"].to_dict() == {1: "none", 2: "earlier", 3: "earlier", 4: "recent"}
    h = metrics.block_history(index(tiny), 3)
    assert h["order_id"].tolist() == ["b", "c", "c"] and set(h["matched_as"]) == {"exact", "parent-of-sub-block"}
    assert list(h.columns[:5]) == ["order_id", "issued_on", "source_name", "source_url", "matched_as"]


def test_share_series_matches_compute_and_a_fresh_union(tiny):
    s = metrics.share_series(index(tiny), "2023-10-10", "2023-12-10", since="2023-10-01")
    for d in ("2023-10-13", "2023-12-02", "2023-12-05"):
        row = s[s["date"] == date.fromisoformat(d)].iloc[0]
        assert row["area_km2"] == pytest.approx(metrics.compute(index(tiny), d, since="2023-10-01")["orders"]["area_km2"],
                                                abs=1e-3)
        assert row["area_km2"] == pytest.approx(metrics.naive_area(load_layer("orders", tiny), load_layer("strip", tiny), d, "2023-10-01"), abs=1e-3)


def test_bad_input_is_an_input_error(tiny):
    with pytest.raises(ValueError, match="not a date"):
        metrics.compute(index(tiny), "2023-13-45")
    with pytest.raises(ValueError, match="after"):
        metrics.compute(index(tiny), "2023-12-01", since="2023-12-05")


# --------------------------------------------------------------------------- the shipped bundle

DAY0 = date(2023, 10, 7)
DAYS = (date(2025, 6, 30) - DAY0).days


def test_shipped_cli_prints_the_stable_shape(capsys):
    assert main(["metrics", "--on", "2023-12-02", "--since", "2023-12-01"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert set(m) == {"on", "since", "window", "framing", "orders", "reference", "zone", "strikes",
                      "population_shares", "series", "coverage_rule",
                      "workspace",  # imported layers, apart from the shipped data
                      "with_your_orders"}  # the figure with the user's imported orders, apart (None without any)
    for k in ("area_km2", "share_of_strip", "blocks", "population_prewar_est", "definition", "sources", "recent",
              "block_ids", "recent_block_ids", "order_ids"):
        assert k in m["orders"]
    for part in ("orders", "zone", "strikes", "population_shares"):
        assert m[part]["definition"] and m[part]["sources"]
    for k in ("killed_cumulative", "injured_cumulative", "aid_trucks"):
        assert {"value", "as_of", "unit", "source", "definition"} <= set(m["series"][k])
    assert m["orders"]["order_ids"] == ["gazamaps-18", "gazamaps-42"]
    assert m["zone"]["zone_id"] == "hz_004"
    assert m["population_shares"]["basis"] == "series"
    assert m["population_shares"]["south_share"] == pytest.approx(0.946, abs=0.001)
    assert m["population_shares"]["claim"]["figure"] == 80
    assert m["series"]["killed_cumulative"]["value"] == 15207


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(since=st.integers(0, DAYS), a=st.integers(0, DAYS), b=st.integers(0, DAYS))
def test_invariants_on_the_shipped_bundle(since, a, b):
    s = DAY0 + timedelta(days=since)
    d1, d2 = sorted([DAY0 + timedelta(days=a), DAY0 + timedelta(days=b)])
    if d1 < s:
        d1 = s
    if d2 < d1:
        d2 = d1
    m1 = metrics.compute(index(), d1, since=s)["orders"]
    m2 = metrics.compute(index(), d2, since=s)["orders"]
    assert 0 <= m1["share_of_strip"] <= 1 and 0 <= m2["share_of_strip"] <= 1
    assert m2["area_km2"] >= m1["area_km2"] - 1e-9          # never shrinks for a fixed since
    assert m2["blocks"] >= m1["blocks"]
    assert len(set(m2["block_ids"])) == len(m2["block_ids"]) == m2["blocks"]  # each block once
    assert m2["recent"]["area_km2"] <= m2["area_km2"] + 1e-9


def test_shipped_share_series_equals_fresh_unions_on_sample_days():
    s = metrics.share_series(index(), "2023-10-07", "2025-06-20")
    assert len(s) == 623
    assert s["share_of_strip"].max() <= 1.0
    assert (np.diff(s["area_km2"].to_numpy()) >= -1e-9).all()
    for d in ("2023-10-13", "2023-12-02", "2024-05-11", "2025-05-26", "2025-06-13"):
        row = s[s["date"] == date.fromisoformat(d)].iloc[0]
        assert row["area_km2"] == pytest.approx(metrics.naive_area(load_layer("orders"), load_layer("strip"), d, "2023-10-07"), abs=0.01)


# --------------------------------------------------------------------------- the fast index equals the plain loops


def _pieces_by_loop(bg: np.ndarray) -> np.ndarray:
    """Reference: each block minus the union of the earlier blocks it overlaps, one block at a time."""
    import shapely

    tree = shapely.STRtree(bg)
    pieces = bg.copy()
    for i, g in enumerate(bg):
        prev = [j for j in tree.query(g, predicate="intersects") if j < i]
        if prev and shapely.intersection(g, shapely.union_all(bg[prev])).area > 0:
            pieces[i] = shapely.make_valid(shapely.difference(g, shapely.union_all(bg[prev])))
    return pieces


def test_disjoint_pieces_equal_the_block_by_block_loop():
    import shapely

    # overlapping squares, a touching pair (no area in common) and a square inside another
    geoms = np.array(squares([(0, 0, 10, 10), (5, 0, 15, 10), (10, 0, 20, 10), (20, 0, 30, 10), (22, 2, 25, 5),
                              (0, 0, 30, 3)]).to_crs(32636).geometry.values)
    fast, slow = _disjoint_pieces(geoms), _pieces_by_loop(geoms)
    assert list(shapely.to_wkb(fast)) == list(shapely.to_wkb(slow))
    assert shapely.area(shapely.union_all(fast)) == pytest.approx(shapely.area(fast).sum())  # pieces are disjoint


def test_shipped_index_pieces_and_event_zones_equal_the_plain_loops():
    import shapely

    from pipeline.core.layers import AREA_CRS
    from pipeline.runtime.zones import zone_on

    ix = index()
    blocks = load_layer("blocks").sort_values("block_id").reset_index(drop=True)
    outline = load_layer("strip").to_crs(AREA_CRS).union_all()
    bg = shapely.make_valid(shapely.intersection(np.asarray(blocks.to_crs(AREA_CRS).geometry.values), outline))
    assert list(shapely.to_wkb(ix.block_geom)) == list(shapely.to_wkb(_pieces_by_loop(bg)))
    # the zone of each event's date, and whether the zone covers the event, one event at a time
    events = load_layer("events")
    pts = events.to_crs(AREA_CRS).geometry
    for d, g, zid, inside in zip(pd.to_datetime(events["date"]).dt.date, pts, ix.events["_zone"], ix.events["_inside"],
                                  strict=True):
        z = zone_on(ix.zones, d)
        assert (None if pd.isna(zid) else zid) == (None if z is None else z["zone_id"])
        assert inside == bool(z is not None and ix.zone_geom[z["zone_id"]].covers(g))
    assert ix.events["_zone"].notna().sum() > 500


def test_event_zones_on_hand_over_days(tiny):
    ix = index(tiny)
    got = {e: (None if pd.isna(z) else z, bool(i))
           for e, z, i in zip(ix.events["event_id"], ix.events["_zone"], ix.events["_inside"], strict=True)}
    # e1 (2 Dec, in z1's area, z1 declared 1-4 Dec); e2 (2 Dec, z2's area only); e3 (1 Dec, hand-over day of z1,
    # outside it); e4 (1 Nov, before any zone)
    assert got == {"e1": ("z1", True), "e2": ("z1", False), "e3": ("z1", False), "e4": (None, False)}
