"""Zones (one per date), events (Gaza only, outside reported, text as data), series (units, filled, floors)."""

from __future__ import annotations

import json
from datetime import date

import geopandas as gpd
import pandas as pd
import pytest

from pipeline.build.sources import events as ev
from pipeline.build.sources import series as se
from pipeline.build.sources import zones as zn
from pipeline.build.sources.claims import read_claims
from pipeline.core.layers import ZONE_KIND_PROPOSED
from pipeline.runtime.bundle import load_layer, load_manifest
from pipeline.runtime.zones import zone_on, zones_valid_on
from tests.conftest import squares

# --------------------------------------------------------------------------- zones


def zone_file(tmp_path):
    g = squares([(0, 0, 1000, 1000), (0, 0, 2000, 1000), (0, 0, 3000, 1000), (0, 0, 500, 500)],
                hz_id=["hz_001", "hz_002", "hz_0021", None], safe_date=["2024-01-01", "2024-01-10", "2024-01-10", None],
                end_date=["2024-01-10", None, "2024-01-10", None], type=["hz", "hz", "hz_error", None])
    p = tmp_path / "zones.geojson"
    g.to_file(p, driver="GeoJSON")
    return p


def test_error_versions_and_undated_features_are_excluded_and_said(tmp_path):
    z, excluded = zn.read_tentnetfa_zones(zone_file(tmp_path))
    assert sorted(z["zone_id"]) == ["hz_001", "hz_002"]
    reasons = {e["zone_id"]: e["reason"] for e in excluded}
    assert "error" in reasons["hz_0021"] and "no id" in reasons[None]


def test_one_zone_per_date_with_handover_and_open_end(tmp_path):
    z, _ = zn.read_tentnetfa_zones(zone_file(tmp_path))
    prop = z.iloc[[0]].assign(zone_id="prop", kind=ZONE_KIND_PROPOSED, valid_from=date(2024, 1, 5),
                              valid_to=date(2024, 1, 20))
    zones = zn.with_area(pd.concat([z, prop], ignore_index=True))
    assert zone_on(zones, "2023-12-31") is None
    assert zone_on(zones, "2024-01-09")["zone_id"] == "hz_001"   # declared beats the proposal
    assert zone_on(zones, "2024-01-10")["zone_id"] == "hz_002"   # hand-over day: the new version
    assert zone_on(zones, "2030-01-01")["zone_id"] == "hz_002"   # no end date = still declared
    assert len(zones_valid_on(zones, "2024-01-12")) == 2          # both valid, one answer
    only_prop = zones[zones["kind"] == ZONE_KIND_PROPOSED]
    assert zone_on(only_prop, "2024-01-12")["zone_id"] == "prop"


def test_shipped_zones():
    zones = load_layer("zones")
    assert "hz_0051" not in set(zones["zone_id"]) and "hz_0061" not in set(zones["zone_id"])
    assert len(zones) == 19
    excluded = load_manifest()["report"]["zones"]["excluded"]
    assert {e["zone_id"] for e in excluded} == {"hz_0051", "hz_0061", None}
    for d in pd.date_range("2023-10-01", "2025-10-01", freq="D"):
        assert len(zones_valid_on(zones, d.date())) <= 2
    assert zone_on(zones, "2024-01-01")["zone_id"] == "hz_005"
    assert zone_on(zones, "2024-01-01")["area_km2"] == pytest.approx(17.7, abs=0.1)
    assert zone_on(zones, "2023-12-01")["zone_id"] == "hz_003"  # dated version beats the proposal
    assert "mawasi-2023-12" in set(zones_valid_on(zones, "2023-12-01")["zone_id"])


# --------------------------------------------------------------------------- events


def ii_frame():
    return pd.DataFrame({
        "Date": ["2023-11-01", "2023-11-02", "2023-11-03", "2023-11-04", "not a date"],
        "Country": ["OPT", "OPT", "OPT", "Syria", "OPT"],
        "Admin 1": ["Gaza Strip", "West Bank", "Gaza Strip", "Idlib", "Gaza Strip"],
        "Latitude": ["31.50", "32.46", "31.95", "36.0", "31.5"],
        "Longitude": ["34.45", "35.29", "35.30", "36.6", "34.45"],
        "Geo Precision": ["(2) 25 km precision ", None, None, None, None],
        "Event Description": ["<script>alert(1)</script>  two   spaces", "b", "c", "d", "e"],
        "Location of Incident": ["<b>Hospital</b>", "x", "y", "z", "w"],
        "Aid Workers Killed": ["2", "0", "1", "3", None],
        "SiND Event ID": [1, 2, 3, 4, 5],
    })


def test_insecurity_insight_filtered_to_gaza_outside_reported_text_kept_as_data():
    cand, counts = ev.normalise_insecurity_insight(ii_frame(), dataset="ii", kind="attack", killed=["Aid Workers Killed"],
                                                   location_col="Location of Incident", label="t")
    assert counts["opt_rows"] == 4 and counts["opt_not_gaza_admin1"] == 1 and counts["unreadable_dates"] == 1
    strip = squares([(-40000, -40000, 40000, 40000)]).assign(name="s")
    strip = gpd.GeoDataFrame(strip, geometry=gpd.GeoSeries([gpd.points_from_xy([34.45], [31.5], crs=4326)[0]
                                                            .buffer(0.2)], crs=4326))
    blocks = gpd.GeoDataFrame({"block_id": [7]}, geometry=strip.geometry, crs=4326)
    gov = gpd.GeoDataFrame({"pcode": ["PS0260"]}, geometry=strip.geometry, crs=4326)
    events, report = ev.place_events(cand, strip, blocks, gov, tolerance_m=500)
    assert report["ii"] == {"kept": 1, "outside_strip": 1, "no_coordinates": 0,
                            "west_bank_or_elsewhere_not_gaza": 1, "no_date": 1}
    e = events.iloc[0]
    assert e["notes"] == "<script>alert(1)</script> two spaces"  # stored as data, never interpreted
    assert e["location"] == "<b>Hospital</b>"
    assert e["fatalities"] == 2 and e["block_id"] == 7 and e["pcode"] == "PS0260"
    assert e["geo_precision"] == "(2) 25 km precision"


def test_hxl_row_of_the_xlsx_is_dropped(tmp_path):
    df = ii_frame()
    hxl = pd.DataFrame([{c: ("#date" if c == "Date" else "#country +name" if c == "Country" else "#lat"
                             if c == "Latitude" else "#long" if c == "Longitude" else None) for c in df.columns}])
    p = tmp_path / "h.xlsx"
    pd.concat([hxl, df], ignore_index=True).to_excel(p, index=False)
    cand, counts = ev.read_insecurity_insight_xlsx(p, dataset="ii", kind="k", killed=[], location_col="x", label="h")
    assert counts["rows"] == 5 and len(cand) == 4
    assert cand["fatalities"].isna().all()


def test_shipped_events():
    events = load_layer("events")
    strip = load_layer("strip").to_crs(32636).buffer(500).union_all()
    assert events.to_crs(32636).within(strip).all()
    assert events["event_id"].is_unique
    report = load_manifest()["report"]["events_per_dataset"]
    assert report["forensic-architecture-jabalia"]["kept"] == 95
    for ds, r in report.items():
        assert (events["dataset"] == ds).sum() == r["kept"], ds
    assert set(events["pcode"].dropna()) <= {"PS0255", "PS0260", "PS0265", "PS0270", "PS0275"}
    assert events["pcode"].notna().all()
    assert set(events.loc[events["dataset"] == "forensic-architecture-jabalia", "pcode"]) == {"PS0255"}
    ii = events[events["dataset"].str.startswith("insecurity-insight")]
    assert (ii["source"].str.contains("Insecurity Insight")).all()
    print("\nevents per dataset:", {k: (v["kept"], v["outside_strip"]) for k, v in report.items()})


# --------------------------------------------------------------------------- series


def test_daily_trucks_dates_as_written_and_unreadable_reported(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text('"date","date_1","total_truck","food_truck"\n"07 October 2023","x",0,0\n'
                 '"32 October 2023","x",5,1\n"09 October 2023","x",12,3.5\n')
    df, problems = se.read_trucks_daily(p)
    assert sorted(set(df["date"])) == [date(2023, 10, 7), date(2023, 10, 9)]
    assert len(problems) == 1 and "32 October 2023" in problems[0]["value"]
    assert set(df["unit"]) == {"trucks per day"} and df["source"].notna().all()


def test_casualties_filled_days_flagged(tmp_path):
    p = tmp_path / "c.json"
    p.write_text(json.dumps([
        {"report_date": "2023-10-07", "report_source": "mohtel", "killed": 1, "killed_cum": 1, "ext_killed": 1,
         "ext_killed_cum": 1, "injured": 2, "injured_cum": 2, "ext_injured": 2, "ext_injured_cum": 2},
        {"report_date": "2023-10-08", "report_source": "missing", "ext_killed": 3, "ext_killed_cum": 4,
         "ext_injured": 1, "ext_injured_cum": 3}]))
    df, _ = se.read_casualties(p)
    kc = df[df["metric"] == "killed_cum"].set_index("date")
    assert kc.loc[date(2023, 10, 7), "filled"] == False  # noqa: E712
    assert kc.loc[date(2023, 10, 8), "filled"] == True and kc.loc[date(2023, 10, 8), "value"] == 4  # noqa: E712


def test_population_floor_flagged_at_most(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text('"ADM2_PCODE","ADM2_EN","collection_date","agesex","mau_lower","pop_mau_lower"\n'
                 '"PS0255","North Gaza","2024-01-15","T_18Plus",500,20419.5\n'
                 '"PS0270","Khan Younis","2024-01-15","T_18Plus",7400,302208.8\n'
                 '"PS0270","Khan Younis","2024-01-15","F_18Plus",3000,1.0\n')
    df, _ = se.read_population(p)
    assert len(df) == 2
    f = df.set_index("pcode")["flag"]
    assert f["PS0255"].startswith("at most") and pd.isna(f["PS0270"])
    assert df["method"].str.contains("advertising-audience", case=False).all()


def test_shipped_series_rows_have_unit_and_source():
    s = load_layer("series")
    assert s["unit"].notna().all() and s["source"].notna().all()
    counts = s["metric"].value_counts()
    assert counts["killed_cum"] == 1051 and counts["aid_trucks_daily"] == 116 and counts["aid_trucks_monthly"] == 25
    assert counts["population_adults_est"] == 212 * 5 and counts["idps"] + counts["idps_shelters"] == 44
    kc = s[s["metric"] == "killed_cum"]
    assert kc["filled"].any() and not kc["filled"].all()
    pop = s[(s["metric"] == "population_adults_est") & (s["date"].astype(str) == "2023-12-02")]
    south = pop[pop["pcode"].isin(["PS0265", "PS0270", "PS0275"])]["value"].sum() / pop["value"].sum()
    assert south == pytest.approx(0.946, abs=0.001)  # as SOURCES.md states


def test_claims_restated_and_checked(tmp_path):
    claims = load_layer("claims")
    assert claims["attributed_to"].notna().all()
    south = claims[claims["claim"].str.contains("in the south")]
    assert south["figure"].iloc[0] == 80 and south["unit"].iloc[0].startswith("percent")
    assert set(claims["place_id"].dropna()) <= {"khan-younis", "rafah", "northern-gaza", "east-of-khan-younis",
                                                "al-mawasi"}
    bad = tmp_path / "c.csv"
    bad.write_text("date,claim,figure,unit,attributed_to,place_id,source\n2 Dec 2023,x,about 80,,r,,s\n")
    with pytest.raises(ValueError, match="not a number"):
        read_claims(bad)
