"""Regenerate the small synthetic import fixtures in this folder: ``python3 tests/data/imports/make_fixtures.py``.

Every value is invented for tests. The ACLED-format files use ACLED's column
names only; no row comes from ACLED. Coordinates are points inside blocks of
the shipped block grid (so the joins have a known answer).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from pipeline.runtime.bundle import load_layer  # noqa: E402  (needs the sys.path insert above: a script run by path)

ACLED_HEADER = ["event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
                "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
                "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3",
                "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
                "fatalities", "tags", "timestamp"]
# (ACLED admin2 spelling, pcode); each row is placed in the lowest-numbered block of that governorate
# whose inner point lies 300 m or more inside the governorate
PLACES = [("Khan Yunis", "PS0270"), ("Deir El Balah", "PS0265"), ("Gaza City", "PS0260"),
          ("North Gaza", "PS0255"), ("Rafah", "PS0275")]


def block_points() -> list[tuple[int, float, float]]:
    """(block_id, lat, lon) for each of PLACES."""
    blocks = load_layer("blocks").sort_values("block_id")
    govs = load_layer("governorates").set_index("pcode")
    out = []
    for _, pcode in PLACES:
        inner = govs.to_crs(32636).geometry.loc[pcode].buffer(-300)
        for bid, geom in zip(blocks.block_id, blocks.geometry, strict=True):
            p = geom.representative_point()
            import geopandas as gpd

            if gpd.GeoSeries([p], crs=4326).to_crs(32636).iloc[0].within(inner):
                out.append((int(bid), round(p.y, 6), round(p.x, 6)))
                break
    return out


def acled_row(i: int, date: str, sub: str, admin2: str, lat: float, lon: float, fat: int, note: str) -> list:
    etype = "Explosions/Remote violence" if sub in ("Air/drone strike", "Shelling/artillery/missile attack") \
        else "Battles"
    return [f"SYN{i:04d}", date, date[:4], "1", "Political violence", etype, sub, "Synthetic actor A", "", "8",
            "Synthetic actor B", "", "7", "78", "", "275", "Middle East", "Palestine", "Gaza Strip", admin2,
            "", f"Synthetic place {i}", f"{lat}", f"{lon}", "1", "Synthetic source", "Other",
            note, str(fat), "", "1700000000"]


def main() -> None:
    pts = block_points()
    subs = ["Air/drone strike", "Shelling/artillery/missile attack", "Armed clash", "Attack", "Air/drone strike"]
    clean = []
    for i, ((admin2, _), (bid, lat, lon), sub) in enumerate(zip(PLACES, pts, subs, strict=True), 1):
        clean.append(acled_row(i, f"2023-12-0{i}", sub, admin2, lat, lon, i - 1, f"Synthetic note {i}."))
    with open(HERE / "acled-clean.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(ACLED_HEADER)
        w.writerows(clean)
    # faulty: the clean rows plus one fault each (row numbers in the README)
    _, lat, lon = pts[0]
    faulty = list(clean) + [
        acled_row(6, "2023-12-06", "Air/drone strike", "Khan Yunis", lon, lat, 1, "Swapped coordinates."),
        acled_row(7, "2023-12-07", "Air/drone strike", "Khan Yunis", 31.90, 35.20, 0, "A point in the West Bank."),
        acled_row(3, "2023-12-08", "Armed clash", "Gaza City", lat, lon, 0, "Repeats the id of row 4."),
        acled_row(9, "2099-01-01", "Attack", "Rafah", lat, lon, 0, "A date in the future."),
        acled_row(10, "2022-05-01", "Attack", "Rafah", lat, lon, 0, "Before the war, in a file about it."),
        acled_row(11, "31 Febuary 2023", "Attack", "Rafah", lat, lon, 0, "Not a date."),
        acled_row(12, "2023-12-09", "Attack", "Rafah", "north", lon, 0, "Latitude is text."),
    ]
    with open(HERE / "acled-faulty.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(ACLED_HEADER)
        w.writerows(faulty)
    import pandas as pd

    pd.DataFrame(clean, columns=ACLED_HEADER).to_excel(HERE / "acled-clean.xlsx", index=False)

    # HXL governorate-level figures, tags written with spaces, Arabic names tagged +i_ar
    with open(HERE / "hxl-governorates.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Date", "Governorate", "Governorate (Arabic)", "P-code", "IDPs (invented)", "Sites"])
        w.writerow(["#date", "#adm1 +name", "#adm1 +name +i_ar", "#adm1 +code", "#affected +idps", "#capacity +sites"])
        w.writerow(["20231202", "North Gaza", "شمال غزة", "PS0255", "1000", "3"])
        w.writerow(["20231202", "Deir El Balah", "دير البلح", "", "2000", "4"])
        w.writerow(["20231202", "", "خان يونس", "", "3000", "5"])
        w.writerow(["20231202", "Rafah", "رفح", "PS0275", "4000", "6"])
        w.writerow(["20231202", "Tulkarm", "طولكرم", "PS0115", "50", "1"])
    # HXL points
    with open(HERE / "hxl-points.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["when", "lat", "lon", "place", "place ar", "killed", "displaced", "type"])
        w.writerow(["#date+occurred", "#geo+lat", "#geo+lon", "#loc+name", "#loc+name+i_ar", "#affected+killed",
                    "#affected+displaced", "#event+type"])
        for i, (bid, a, b) in enumerate(pts, 1):
            w.writerow([f"2023-12-1{i}", a, b, f"Invented site {i}", f"موقع {i}", i, i * 100, "shelling"])
    # plain CSV: dates as found in the wild, common column names
    with open(HERE / "points-wild-dates.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Date", "Latitude", "Lng", "Type", "Place", "Notes"])
        dates = ["07 October 2023", "6-Jun-25", "20231202", "2023-12-03", "13/12/2023"]
        for d, (bid, a, b) in zip(dates, pts, strict=True):
            w.writerow([d, a, b, "observation", f"Invented place {bid}", "invented for tests"])
    # a zone (GeoJSON, EPSG:4326): one valid polygon and one self-intersecting bow-tie
    cx, cy = pts[0][2], pts[0][1]
    d = 0.004
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Invented zone A", "kind": "test zone",
                                           "valid_from": "2023-12-06", "valid_to": "2024-05-06"},
         "geometry": {"type": "Polygon", "coordinates": [[[cx - d, cy - d], [cx + d, cy - d], [cx + d, cy + d],
                                                          [cx - d, cy + d], [cx - d, cy - d]]]}},
        {"type": "Feature", "properties": {"name": "Bow-tie (self-intersecting)", "kind": "test zone",
                                           "valid_from": "2023-12-06"},
         "geometry": {"type": "Polygon", "coordinates": [[[cx - d, cy - d], [cx + d, cy + d], [cx + d, cy - d],
                                                          [cx - d, cy + d], [cx - d, cy - d]]]}},
    ]}
    (HERE / "zones-invalid.geojson").write_text(json.dumps(fc, indent=1) + "\n", encoding="utf-8")
    (HERE / "expected-blocks.json").write_text(json.dumps(
        [{"block_id": b, "pcode": pc, "admin2": a2} for (b, _, _), (a2, pc) in zip(pts, PLACES, strict=True)], indent=1) + "\n")
    arcgis_fixtures(pts)
    acled_edge_fixtures(pts)
    # two ACLED exports covering overlapping weeks: SYN0201-0204 and SYN0203-0206 (SYN0203/0204 in both)
    subs = ["Air/drone strike", "Shelling/artillery/missile attack", "Armed clash", "Attack", "Air/drone strike"]
    for name, ids in (("acled-weeks-1.csv", range(201, 205)), ("acled-weeks-2.csv", range(203, 207))):
        with open(HERE / name, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(ACLED_HEADER)
            for i in ids:
                (admin2, _), (_, lat, lon) = PLACES[i % 5], pts[i % 5]
                w.writerow(acled_row(i, f"2024-02-{i - 190:02d}", subs[i % 5], admin2, lat, lon, i % 3,
                                     f"Synthetic note {i}."))
    with open(HERE / "points-out-of-domain.csv", "w", newline="", encoding="utf-8") as fh:  # rows in the README
        w = csv.writer(fh)
        w.writerow(["date", "latitude", "longitude", "killed", "notes"])
        (_, a, b) = pts[2]
        w.writerows([["2023-12-05", a, b, "1", "fine"], ["2023-12-05", "Infinity", "-Infinity", "0", "infinite"],
                     ["2023-12-05", "NaN", b, "0", "latitude NaN"],
                     ["2023-12-05", a, b, "-9223372036854775808", "the smallest int64"],
                     ["2023-12-05", a, b, "25000", "a total, not one event"],
                     ["2023-12-06", a, b, "2", "x" * 6000], ["2023-12-06", a, b, "3", "fine"]])
    with open(HERE / "points-sub-blocks.csv", "w", newline="", encoding="utf-8") as fh:  # placed by block id only
        w = csv.writer(fh)
        w.writerow(["date", "block", "type", "notes"])
        w.writerows([["2023-12-05", "642.1", "order", "a sub-block"], ["2023-12-05", "642", "order", "its parent"],
                     ["2023-12-06", "33.10", "order", "written with a trailing zero"],
                     ["2023-12-06", "642.0", "order", "the block itself"],
                     ["2023-12-07", "99999.1", "order", "a sub-block of no block"],
                     ["2023-12-07", "642-1", "order", "not a block id"]])
    print("fixtures written to", HERE)


def arcgis_fixtures(pts: list[tuple[int, float, float]]) -> None:
    """ArcGIS FeatureServer ``f=geojson`` results: dates as epoch milliseconds, the transfer-limit flag."""
    # 2024-11-07 13:35 UTC, 2024-11-07 23:30 UTC (8 November in Gaza), 2024-11-09 00:00 UTC, 2024-11-10 as seconds
    stamps = [1730986500000.0, 1731022200000.0, 1731110400000.0, 1731196800]
    feats = [{"type": "Feature", "id": i, "geometry": {"type": "Point", "coordinates": [b, a]},
              "properties": {"OBJECTID": i, "EventDate": t, "Incident_Type": "Airstrike", "Fatalities": i,
                             "Location": f"Invented site {bid}"}}
             for i, (t, (bid, a, b)) in enumerate(zip(stamps, pts, strict=False), 1)]
    fc = {"type": "FeatureCollection", "exceededTransferLimit": True, "features": feats,
          "properties": {"exceededTransferLimit": True}}
    (HERE / "arcgis-points.geojson").write_text(json.dumps(fc) + "\n", encoding="utf-8")
    cx, cy = pts[1][2], pts[1][1]
    d = 0.003
    zones = [{"type": "Feature", "id": i, "properties": {"OBJECTID": i, "Name": f"Invented area {i}",
                                                         "StartDate": start, "EndDate": end,
                                                         "Block_ID": block},
              "geometry": {"type": "Polygon", "coordinates": [[[x - d, cy - d], [x + d, cy - d], [x + d, cy + d],
                                                               [x - d, cy + d], [x - d, cy - d]]]}}
             for i, (x, start, end, block) in enumerate([(cx, 1701475200000, 1704067200000, f"{pts[1][0]}.1"),
                                                         (cx + 0.01, 1701475200000, None, str(pts[1][0]))], 1)]
    (HERE / "arcgis-zones.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": zones}) + "\n",
                                               encoding="utf-8")


def acled_edge_fixtures(pts: list[tuple[int, float, float]]) -> None:
    """ACLED layout with the rows a real Gaza export carries at its edges (row numbers in the README)."""
    (_, a1, b1), (_, a5, b5) = pts[0][:3], pts[4][:3]
    rows = [
        acled_row(101, "2024-01-10", "Air/drone strike", "Khan Yunis", a1, b1, 2, "Inside the Strip."),
        acled_row(102, "2024-01-11", "Shelling/artillery/missile attack", "Gaza City", 31.52, 34.40, 1,
                  "Coast of Gaza City: naval fire on fishing boats (invented)."),
        acled_row(103, "2024-01-12", "Armed clash", "North Gaza", 31.563, 34.5685, 0, "At the fence (invented)."),
        acled_row(104, "2024-01-13", "Attack", "Gaza City", 30.0444, 31.2357, 0, "Placed in Cairo by mistake."),
        acled_row(105, "2024-01-14", "Air/drone strike", "Khan Yunis", a5, b5, 1, "Point in Rafah, row says Khan Yunis."),
    ]
    rows[1][21] = "Coast of Gaza City"
    with open(HERE / "acled-edges.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(ACLED_HEADER)
        w.writerows(rows)


def series_fixtures() -> None:
    """A truck line list by crossing (one row per truck) and daily counts by governorate (rows in the README)."""
    trucks = [("12-Sept-2024", "Kerem Shalom", "Food", "Wheat flour"), ("12-Sept-2024", "Kerem Shalom", "Food", "Canned food"),
              ("12-Sept-2024", "Rafah", "Medical", "Medicines"), ("3 Oct 2024", "Kerem Shalom", "Shelter", "Tents"),
              ("3 Oct 2024", "Zikim", "Food", "Flour"), ("3 Oct 2024", "Erez", "Water", "Bottled water"),
              ("-", "Kerem Shalom", "Food", "Rice"), ("", "Rafah", "Food", "Lentils"),
              ("31 Sept 2024", "Kerem Shalom", "Food", "Flour"), ("4-Oct-2024", "Karem Abu Salem", "Food", "Flour")]
    with open(HERE / "trucks-line-list.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Date", "Crossing", "Cargo Category", "Description of Cargo"])
        w.writerows(trucks)
    daily = [("2024-01-01", "PS0275", "120"), ("2024-01-01", "Rafah", "30"), ("2024-01-01", "Khan Younis", "40"),
             ("2024-01-02", "PS0270", "-"), ("2024-01-02", "Deir al-Balah", "1,050"),
             ("2024-01-02", "North Gaza", "more than 10"), ("2024-01-03", "Tulkarm", "5")]
    with open(HERE / "series-governorates.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["date", "governorate", "trucks"])
        w.writerows(daily)


def hxl_qualified_fixture(pts: list[tuple[int, float, float]]) -> None:
    """HXL points whose kind is in #event+type or, where that is empty, #crisis+type; figures with qualifiers."""
    cells = [("Airstrike", "Conflict", "more than 20", "1,200", "total"),
             ("", "Conflict", "approx. 15", "about 300", "approximately"),
             ("Shelling", "", "not reported", "-", "total"),
             ("", "", "3", "40", ""),
             ("Airstrike", "", "", "50", "")]
    with open(HERE / "hxl-qualified.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Date", "Latitude", "Longitude", "Location", "Event type", "Crisis type", "Killed", "Displaced",
                    "qualifier"])
        w.writerow(["#date", "#geo+lat", "#geo+lon", "#loc+name", "#event+type", "#crisis+type", "#affected+killed",
                    "#affected+displaced", "#total"])
        for i, ((_, a, b), c) in enumerate(zip(pts, cells, strict=True), 1):
            w.writerow([f"2024-01-1{i}", a, b, f"Invented site {i}", *c])


if __name__ == "__main__":
    main()
    series_fixtures()
    hxl_qualified_fixture(block_points())
