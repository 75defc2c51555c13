"""Build step: the dated layers ``orders``, ``order_blocks``, ``zones``, ``events``, ``series``, ``claims``.

Needs the ``strip``, ``governorates`` and ``blocks`` layers; does not use ``places``
(area orders are placed from the raw north-area file, checked against the Wadi
Gaza line).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from . import settings
from .dates import parse_date_column
from .errors import InputError
from .layers import AREA_CRS, LayerSchema, register
from .sources import events as ev
from .sources import orders as od
from .sources import series as se
from .sources import zones as zn

if TYPE_CHECKING:
    from .build import BuildContext

CLAIMS_FILE = "reference/scenario-2023-12-claims.csv"
CLAIM_COLUMNS = ["date", "claim", "figure", "unit", "attributed_to", "place_id", "source"]

register(LayerSchema(
    "claims", ("date", "claim", "figure", "unit", "attributed_to", "place_id", "source"), geometry=False,
    nullable=("figure", "unit", "place_id"),
    description="Attributed claims of the default scenario (press report of 2 Dec 2023, restated as data).",
))


def read_claims(path: object, *, label: str = CLAIMS_FILE) -> pd.DataFrame:
    """The scenario's claims; every date must parse and every figure be a number or empty."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    miss = [c for c in CLAIM_COLUMNS if c not in raw.columns]
    if miss:
        raise InputError(f"missing column(s) {miss}", file=label)
    dates, problems, _ = parse_date_column(raw["date"])
    if problems:
        p = problems[0]
        raise InputError(f"unreadable date {p.value!r} ({p.reason})", file=label, row=p.row + 2, field="date")
    fig = pd.to_numeric(raw["figure"].replace("", None), errors="coerce")
    bad = fig.isna() & raw["figure"].str.strip().ne("")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"figure {raw['figure'].iloc[i]!r} is not a number", file=label, row=i + 2, field="figure")
    out = raw[CLAIM_COLUMNS].copy()
    out["date"] = dates.dt.date
    out["figure"] = fig.astype(float)
    for col in ("unit", "place_id"):
        out[col] = out[col].str.strip().replace("", None)
    return out.reset_index(drop=True)


def build_orders(ctx: BuildContext) -> None:
    from .build import to_storage

    blocks, strip = ctx.layer("blocks"), ctx.layer("strip")
    gm = od.read_gazamaps(ctx.path(od.GAZAMAPS_FILE))
    oc = od.read_ocha_2025(ctx.path(od.OCHA_FILE))
    d2, m2 = od.read_polygon_order(ctx.path(od.DEC2_FILE), date(2023, 12, 2), blocks, label=od.DEC2_FILE)
    d4, m4 = od.read_polygon_order(ctx.path(od.DEC4_FILE), date(2023, 12, 4), blocks, label=od.DEC4_FILE)
    north = od.read_area(ctx.path(od.NORTH_AREA_FILE), strip, label=od.NORTH_AREA_FILE)
    # Check the area file against the Wadi Gaza line: the Strip north of the line, cut along it.
    wadi = gpd.read_file(ctx.path(od.WADI_FILE)).to_crs(4326).union_all()
    by_line = od.north_of_line(strip, wadi)
    a = gpd.GeoSeries([north, by_line], crs=4326).to_crs(AREA_CRS)
    iou = float(a.iloc[0].intersection(a.iloc[1]).area / a.iloc[0].union(a.iloc[1]).area)
    ctx.note("orders_north_area_check", {
        "area_file_km2": round(a.iloc[0].area / 1e6, 2), "strip_north_of_wadi_line_km2": round(a.iloc[1].area / 1e6, 2),
        "iou": round(iou, 3)})

    areas = {k: (north, how) for k, (f, how) in od.AREA_ORDERS.items() if f == od.NORTH_AREA_FILE}
    res = od.assemble_orders(gm, oc + [d2, d4], blocks, areas=areas, geometry_matched={d2.order_id, d4.order_id})
    polygon_report = {}
    for o, m, f in ((d2, m2, od.DEC2_FILE), (d4, m4, od.DEC4_FILE)):
        polygon_report[o.order_id] = {"polygons": int(len(m)), "matched": int(m["block_id"].notna().sum()),
                                      "unmatched": int(m["block_id"].isna().sum()),
                                      "min_iou": float(m["iou"].min()),
                                      "same_block_twice": int(m["block_id"].dropna().duplicated().sum())}
    cc = od.cross_check(gm, res.order_blocks, blocks)
    rel = cc["rel_diff"].abs()

    orders = res.orders
    placed = orders.geometry.notna()
    geo = to_storage(orders[placed.to_numpy()])
    orders = gpd.GeoDataFrame(orders.drop(columns="geometry"), geometry=gpd.GeoSeries(
        [None] * len(orders), index=orders.index, crs=4326), crs=4326)
    orders.loc[placed, "geometry"] = geo.geometry
    orders = orders[["order_id", "issued_on", "source_name", "source_url", "link", "stated_area_km2", "destination",
                     "sources", "source_urls", "merged_from", "kind", "area_km2", "block_count", "geometry"]]
    inputs = [od.GAZAMAPS_FILE, od.OCHA_FILE, od.DEC2_FILE, od.DEC4_FILE, od.NORTH_AREA_FILE, od.WADI_FILE]
    ctx.add("orders", orders, inputs=inputs,  # unplaced orders keep an empty geometry (schema allows it)
                       description="Evacuation orders (GazaMaps, OCHA 2025 list by date, bothness 2/4 Dec 2023), "
                                   "duplicates across sources merged; geometry = union of named blocks/area.",
                       dedupe_rule=od.__doc__.split("* **Duplicates across sources**")[1].strip())
    ctx.add("order_blocks", res.order_blocks, inputs=inputs,
            description="Blocks named by each order with how the id was matched to the grid.")

    r = res.report
    print(f"orders: id matches {r['id_match_totals']} (exact / parent-of-sub-block / unknown)")
    ctx.note("orders_counts_by_source", r["order_counts_by_source"])
    ctx.note("orders_id_match_counts", r["id_match_counts"])
    ctx.note("orders_id_match_totals", r["id_match_totals"])
    ctx.note("orders_unknown_ids", r["unknown_ids"])
    ctx.note("orders_polygon_matching", polygon_report)
    ctx.note("orders_area_orders", r["area_orders"])
    ctx.note("orders_unplaced", r["unplaced_orders"])
    ctx.note("orders_merged_duplicates", {"count": r["merged_count"], "into": r["merged_duplicates"]})
    ctx.note("orders_total", {"orders": r["orders_total"], "by_kind": r["orders_by_kind"]})
    ctx.note("orders_cross_check_gazamaps_area", {
        "orders_compared": int(len(cc)), "median_abs_rel_diff": round(float(rel.median()), 4),
        "p90_abs_rel_diff": round(float(rel.quantile(0.9)), 4),
        "worst": cc.reindex(rel.sort_values(ascending=False).index[:5])[
            ["order_id", "stated_km2", "ours_km2", "sub_blocks"]].to_dict("records"),
        "note": "ours = grid area of the blocks GazaMaps names; a sub-block counts as its whole parent block"})


def build_zones(ctx: BuildContext) -> None:
    from .build import to_storage

    z, excluded = zn.read_tentnetfa_zones(ctx.path(zn.ZONES_FILE))
    m = zn.read_mawasi_proposal(ctx.path(zn.MAWASI_FILE))
    zones = zn.with_area(gpd.GeoDataFrame(pd.concat([z, m], ignore_index=True), geometry="geometry", crs=4326))
    zones = zones.sort_values(["valid_from", "zone_id"]).reset_index(drop=True)
    zones = to_storage(zones[["zone_id", "kind", "name", "valid_from", "valid_to", "area_km2", "source", "geometry"]])
    ctx.add("zones", zones, inputs=[zn.ZONES_FILE, zn.MAWASI_FILE],
            description="Declared humanitarian zone versions (valid_from <= day < valid_to) and the Dec 2023 "
                        "Al-Mawasi proposal; one zone per date by the rule in pipeline/sources/zones.py.")
    ctx.note("zones", {"kept": int(len(zones)), "excluded": excluded,
                       "rule": "valid_from <= D < valid_to; declared versions win over the proposal; latest start wins"})


def build_events(ctx: BuildContext) -> None:
    from .build import to_storage

    parts, counts = [], {}
    ctx.path(ev.II_DIR)
    readers = [(ev.II_JSON, ev.read_insecurity_insight_json), (ev.II_XLSX, ev.read_insecurity_insight_xlsx)]
    for files, read in readers:
        for name, (ds, kind, killed, loc) in files.items():
            f = ev.II_DIR + name
            d, c = read(ctx.raw_dir / f, dataset=ds, kind=kind, killed=killed, location_col=loc, label=f)
            parts.append(d)
            counts[name] = c
    d, c = ev.read_jabalia(ctx.path(ev.JABALIA_FILE))
    parts.append(d)
    counts["forensic-architecture-jabalia-oct2023.tsv"] = c
    events, report = ev.place_events(pd.concat(parts, ignore_index=True), ctx.layer("strip"), ctx.layer("blocks"),
                                     ctx.layer("governorates"), float(settings.get("strip_tolerance_m")))  # type: ignore[arg-type]
    events = to_storage(events)
    ctx.add("events", events, inputs=[ev.II_DIR, ev.JABALIA_FILE],
            description="Incidents (Insecurity Insight, CC BY; Forensic Architecture Jabalia) inside the Strip, "
                        "joined to block and governorate.")
    print("events kept/outside per dataset: " + ", ".join(
        f"{k}: {v['kept']}/{v['outside_strip']}" for k, v in sorted(report.items())))
    ctx.note("events_per_dataset", report)
    ctx.note("events_files", counts)


def build_series(ctx: BuildContext) -> None:
    parts, problems = [], []
    for fn, f in ((se.read_casualties, se.CASUALTIES_FILE), (se.read_trucks_daily, se.TRUCKS_DAILY_FILE),
                  (se.read_trucks_monthly, se.TRUCKS_MONTHLY_FILE), (se.read_population, se.POPULATION_FILE),
                  (se.read_idps, se.IDP_FILE)):
        d, p = fn(ctx.path(f))
        parts.append(d)
        problems += p
    series = se.combine(parts)
    ctx.add("series", series, inputs=[se.CASUALTIES_FILE, se.TRUCKS_DAILY_FILE, se.TRUCKS_MONTHLY_FILE,
                                      se.POPULATION_FILE, se.IDP_FILE],
            description="Dated series (long format): casualties, aid trucks, population by governorate "
                        "(advertising-audience estimates), UNRWA IDPs.", population_method=se.POP_METHOD)
    ctx.note("series_rows", {k: int(v) for k, v in series["metric"].value_counts().sort_index().items()})
    ctx.note("series_filled_days", int(series.loc[series["metric"] == "killed_cum", "filled"].sum()))
    ctx.note("series_floor_flagged_rows", int(series["flag"].notna().sum()))
    ctx.note("series_unreadable_values", problems)


def build_claims(ctx: BuildContext) -> None:
    claims = read_claims(ctx.path(CLAIMS_FILE))
    ctx.add("claims", claims, inputs=[CLAIMS_FILE],
            description="The default scenario's attributed claims (restated as data; never the app's own claim).")
    ctx.note("claims", int(len(claims)))


def build_time_layers(ctx: BuildContext) -> None:
    """Build step: orders, order_blocks, zones, events, series, claims."""
    build_orders(ctx)
    build_zones(ctx)
    build_events(ctx)
    build_series(ctx)
    build_claims(ctx)

