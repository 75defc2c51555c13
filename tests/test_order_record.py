"""Issue 10 (data side): the fuller order record, OCHA's statements beside our figures, framings, gaps said out loud.

All on the real shipped files and bundle.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from pipeline.__main__ import main
from pipeline.build.sources import idf_zones as iz
from pipeline.build.sources import orders as od
from pipeline.core.errors import InputError
from pipeline.runtime import metrics
from pipeline.runtime.bundle import load_layer, load_manifest
from tests.conftest import RAW

# The period layers against GazaMaps' list for the same orders: every difference (displaced blocks).
EXPECTED_DISPLACED_DIFFERENCES = {
    "gazamaps-1": (["660", "661", "662", "664", "666", "973", "2210", "2220", "2221", "2222", "2223", "2224", "2225",
                    "2230", "2315", "2316", "2317", "2322", "2348"], []),
    "gazamaps-3": (["321", "607", "617"], []),
    "gazamaps-11": ([], ["660", "661", "662", "664", "666", "2210", "2220", "2221", "2222", "2223", "2224", "2225",
                         "2230", "2315", "2316", "2317", "2322", "2348"]),
    "gazamaps-20": (["131"], []),  # in the layer, but with no status
    "gazamaps-22": (["22", "32", "33", "34", "53", "54", "55", "56", "57", "58", "59", "60", "61", "62", "65", "66",
                     "67", "69", "70", "78", "81", "83", "84", "85", "86", "87", "101", "102", "103", "104"],
                    ["577", "578", "1762", "1763", "1764", "1765", "1766", "1767", "1768", "1769", "1770", "1774",
                     "1778"]),
    "gazamaps-23": (["577", "578", "1762", "1763", "1764", "1765", "1766", "1767", "1768", "1769", "1770", "1774",
                     "1778"],
                    ["22", "32", "33", "34", "53", "54", "55", "56", "57", "58", "59", "60", "61", "62", "65", "66",
                     "67", "69", "70", "78", "81", "83", "84", "85", "86", "87", "101", "102", "103", "104"]),
    "gazamaps-31": (["56", "59", "67", "101", "102", "103", "104", "105", "106"], []),
    "gazamaps-32": (["55", "103", "104", "105", "106"], []),
    "gazamaps-41": (["51", "52", "53", "54", "55", "103", "104", "105", "106", "218"], []),
}


@pytest.fixture(scope="module")
def zones():
    return iz.read_zone_dir(RAW / iz.ZONES_DIR)


def test_status_id_decodes_to_its_utc_time():
    t = iz.status_time("https://x.com/AvichayAdraee/status/1740311306013569355")
    assert t is not None and t.tzinfo is not None
    # decoding is exact: (id >> 22) + 1288834974657 ms
    assert int(t.timestamp() * 1000) == (1740311306013569355 >> 22) + 1288834974657
    assert iz.status_time("https://gazamaps.com/displacement/11") is None


def test_every_period_block_set_against_the_list(zones):
    gm = {int(o.order_id.split("-")[1]): o for o in od.read_gazamaps(RAW / od.GAZAMAPS_FILE)}
    assert sorted(zones["file"].unique()) == sorted(p.name for p in (RAW / iz.ZONES_DIR).glob("*.geojson"))
    assert zones["file"].nunique() == 15
    disp = iz.compare_with_list(zones, {k: set(o.raw_ids) for k, o in gm.items()}, "displaced")
    got = {f"gazamaps-{d.gazamaps_id}": (list(d.only_in_list), list(d.only_in_zones)) for d in disp
           if not d.equal and d.gazamaps_id in gm}
    assert got == EXPECTED_DISPLACED_DIFFERENCES
    # two orders of Sep and Oct 2025 are drawn but not in the list (it ends in June 2025): not placed
    later = {d.gazamaps_id: d.only_in_zones for d in disp if d.gazamaps_id not in gm}
    assert sorted(later) == [152, 164] and len(later[152]) == 359 and later[164] == ("9999",)
    assert len(disp) == 37 and sum(d.equal for d in disp) == 26  # + 9 differing + 2 not in the list
    safe = iz.compare_with_list(zones, {k: set(o.safe_ids) for k, o in gm.items()}, "safe")
    assert len(safe) == 21 and all(d.equal for d in safe)   # the "safe" labels agree everywhere
    # the build report holds the same differences
    rep = load_manifest()["report"]["orders_period_layers_vs_list"]["displaced"]["differences"]
    assert {k: (v["only_in_list"], v["only_in_period_layers"]) for k, v in rep.items()
            if k not in ("gazamaps-152", "gazamaps-164")} == EXPECTED_DISPLACED_DIFFERENCES


def test_order_11_is_placed_from_the_period_layers_and_dated_by_its_post():
    o = load_layer("orders").set_index("order_id")
    r = o.loc["gazamaps-11"]
    assert r["kind"] == "blocks" and r["block_count"] == 18 and r["placed_by"] == iz.SOURCE_ZONES
    assert r["issued_on"] == date(2023, 12, 28) and r["listed_on"] == date(2023, 12, 31)
    assert r["posted_at_utc"].startswith("2023-12-28T09:41")
    assert r["area_km2"] == pytest.approx(12.61, abs=0.05)
    assert o.loc["gazamaps-40", "issued_on"] == date(2023, 12, 8)
    assert load_manifest()["report"]["orders_redated_from_post"] == [
        {"order_id": "gazamaps-11", "listed_on": "2023-12-31", "issued_on": "2023-12-28",
         "posted_at_utc": "2023-12-28 09:41"},
        {"order_id": "gazamaps-40", "listed_on": "2023-12-09", "issued_on": "2023-12-08",
         "posted_at_utc": "2023-12-08 08:10"}]


def test_repeats_are_marked_not_counted_twice():
    o = load_layer("orders")
    rep = dict(o.loc[o["repeat_of"].notna(), ["order_id", "repeat_of"]].itertuples(index=False))
    assert rep == {"gazamaps-40": "gazamaps-18", "gazamaps-33": "gazamaps-23", "gazamaps-67": "gazamaps-63",
                   "gazamaps-70": "gazamaps-53", "gazamaps-94": "gazamaps-92", "gazamaps-109": "gazamaps-106"}
    ix = metrics.index()
    assert "gazamaps-40" not in set(ix.order_ids)
    # a window holding only the repeat shows no new area
    m = metrics.compute(ix, "2023-12-08", since="2023-12-05")["orders"]
    assert m["repeat_order_ids"] == {"gazamaps-40": "gazamaps-18"} and m["area_km2"] == 0


def test_sub_blocks_use_their_outlines_where_drawn():
    rep = load_manifest()["report"]["orders_sub_blocks"]
    assert rep["outlines_shipped"] == 45
    assert rep["named_with_outline"] == {"occurrences": 251, "distinct_ids": 43}
    assert rep["named_without_outline_parent_rule"]["occurrences"] == 31
    assert len(rep["named_without_outline_parent_rule"]["ids"]) == 16
    o = load_layer("orders").set_index("order_id")
    assert o.loc["gazamaps-38", "area_km2"] == pytest.approx(4.43, abs=0.05)   # GazaMaps states 4.43 (8.70 as parents)
    sb = load_layer("sub_blocks")
    assert sb.groupby("block_id")["share_of_parent"].sum().between(0.99, 1.001).all()


def test_reported_unmapped_orders_beside_never_inside():
    o = load_layer("orders")
    rep = o[o["kind"] == "reported, not mapped"]
    assert rep["order_id"].tolist() == ["reported-2023-12-03", "reported-2023-12-06", "reported-2023-12-20",
                                        "reported-2023-12-22", "reported-2024-01-07", "reported-2024-01-22"]
    assert rep.geometry.isna().all() and (rep["area_km2"] == 0).all()
    r = rep.set_index("order_id")
    assert r.loc["reported-2023-12-20", "reported_people"] == 111_542
    assert r.loc["reported-2023-12-06", "reported_area_km2"] == 1.0
    assert r.loc["reported-2023-12-22", "possible_duplicate_of"] == "gazamaps-11"
    assert r.loc["reported-2024-01-07", "attributed_to"] == "UN OCHA (Flash Update 87)"
    m = metrics.compute(metrics.index(), "2024-01-30", since="2023-12-01")["orders"]
    ru = m["reported_unmapped"]
    assert ru["count"] == 6 and ru["order_ids"] == rep["order_id"].tolist()
    assert ru["reported_area_km2"] == 1.0 and ru["reported_people"] == 111_542 + 90_000
    assert not set(ru["order_ids"]) & set(m["order_ids"])
    assert m["share_of_strip"] == pytest.approx(0.3184, abs=0.0005)   # 28.4% before #11 was placed


def test_statements_layer():
    st = load_layer("statements").set_index("statement_id")
    assert len(st) == 13  # 8 OCHA statements, 2 parts of the 2 Dec 2023 one, 3 press figures for the zone's area
    press = st[st.index.str.startswith("press-")]
    assert press["measure"].eq("area of the declared humanitarian zone").all() and press["comparable"].all()
    assert sorted(press["figure"]) == [8.5, 8.5, 12.0] and press["url"].str.startswith("https://").all()
    assert not st.loc["ocha-2025-05-22", "comparable"]
    assert "militarised" in st.loc["ocha-2025-05-22", "comparable_reason"]
    assert st.loc["ocha-2023-12-02-south", "people_prewar"] == 352_000
    assert st.loc["ocha-2024-01-29", "people_prewar"] == 300_000
    assert st.loc["ocha-2024-08-19", "since"] == date(2023, 10, 7)


def test_framings_and_their_defaults():
    keys = [f["key"] for f in metrics.framings()]
    assert keys == ["grid", "war", "ceasefire-ended", "custom"]
    ix = metrics.index()
    assert metrics.compute(ix, "2023-11-15")["framing"]["key"] == "war"   # used to crash the Map page
    f = metrics.compute(ix, "2024-01-30")["framing"]
    assert f == {"key": "grid", "label": "since the block grid (1 Dec 2023)", "since": "2023-12-01",
                 "description": f["description"], "default": True}
    m = metrics.compute(ix, "2024-08-19")
    assert m["framing"]["key"] == "war" and m["since"] == "2023-10-07"
    assert m["orders"]["share_of_strip"] == pytest.approx(0.8284, abs=0.0005)   # 62.5% under the old default
    assert metrics.compute(ix, "2025-04-01", since="ceasefire-ended")["since"] == "2025-03-18"
    assert metrics.compute(ix, "2024-08-19", since="2024-01-05")["framing"]["key"] == "custom"
    with pytest.raises(InputError, match=r"since \(2023-12-05\) is after on \(2023-12-01\): the period would hold"):
        metrics.compute(ix, "2023-12-01", since="2023-12-05")


def test_nearest_statement_beside_our_figure():
    ref = metrics.compute(metrics.index(), "2024-01-28", since="2023-12-01")["reference"]
    assert ref["statement_id"] == "ocha-2024-01-30" and ref["days_from_on"] == 2
    assert ref["figure"] == 41 and ref["ours"]["share_pct"] == 31.8 and ref["gap_points"] == -9.2
    assert ref["label"].startswith("UN OCHA, 30 Jan 2024: 41%")
    assert metrics.compute(metrics.index(), "2024-08-19")["reference"]["gap_points"] == -3.2


def test_crosscheck_command(capsys):
    assert main(["crosscheck"]) == 0
    out = capsys.readouterr().out
    rows = {line[12:34].strip(): line for line in out.splitlines() if line[:4] in ("2023", "2024", "2025")}
    assert "-1.9 pts" in rows["ocha-2023-12-02"]
    assert "-2.8 pts" in rows["ocha-2023-12-02-south"] and "352,000 / 197,883" in rows["ocha-2023-12-02-south"]
    assert "300,000 / 170,741" in rows["ocha-2024-01-29"]
    assert "-9.2 pts" in rows["ocha-2024-01-30"]
    assert "-3.2 pts" in rows["ocha-2024-08-19"]
    assert "+1.1 pts" in rows["ocha-2025-03-24"]
    assert "not compared" in rows["ocha-2025-05-22"]
    assert "8.5 km²" in rows["press-2023-12-08-1"] and "17.7 km²" in rows["press-2023-12-08-1"]  # the zone's area
    assert "different definition: a wider definition" in out
    # the reported, unmapped orders are listed under the one gap they explain (30 Jan 2024), not under small gaps
    assert out.count("reported, not mapped in the period (6):") == 1
    assert "2024-01-07  areas of Deir al-Balah newly issued with evacuation orders" in out
    assert main(["crosscheck", "--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert [r["statement_id"] for r in js][:3] == ["ocha-2023-12-02", "ocha-2023-12-02-north", "ocha-2023-12-02-south"]


def test_gaps_are_said_out_loud():
    ix = metrics.index()
    m = metrics.compute(ix, "2024-08-19")
    s = m["strikes"]
    assert s["count"] is None and s["status"] == "no data for this date"
    assert s["coverage"] == {"from": "2017-03-26", "to": "2024-03-13"}
    assert m["series"]["aid_trucks"] == {**m["series"]["aid_trucks"], "value": None, "status": "no data for this date",
                                         "coverage": {"from": "2023-10-07", "to": "2024-01-30"}}
    sh = m["population_shares"]
    assert sh["basis"] == "prewar" and sh["basis_label"].startswith("pre-war baseline")
    assert sh["claim"]["age_days"] == 261 and not sh["claim"]["current"]
    assert sh["claim"]["label"] == "latest claim, 261 days old (2023-12-02)"
    z = metrics.compute(ix, "2025-03-01")["zone"]
    assert z["zone_id"] is None and z["status"] == "no outline in the data"
    assert z["gap"] == {"from": "2025-01-19", "to": "2025-09-06"}
    k = metrics.compute(ix, "2023-12-02")["series"]["killed_cumulative"]
    assert k["status"] == "reported" and k["filled"] is False
    filled = pd.DataFrame(ix.metric_rows("killed_cum"))
    d = filled.loc[filled["filled"], "date"].iloc[0]
    assert metrics.compute(ix, d)["series"]["killed_cumulative"]["status"] == "interpolated"
    # inside the coverage a zero stays a zero
    assert metrics.compute(ix, "2024-03-13", window=1)["strikes"]["count"] >= 0
    z0 = metrics.compute(ix, "2023-10-10", window=1)["strikes"]
    assert z0["status"].startswith("reported") and isinstance(z0["count"], int)
