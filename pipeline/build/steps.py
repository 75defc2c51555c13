"""The build steps, in order: each reads raw files through the context and adds validated layers.

Later steps use earlier layers (``ctx.layer``): blocks need the governorates, orders and events need
the blocks. Readers live in ``pipeline.build.sources``; the algorithms in ``derive`` and ``geometry``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.build import derive, geometry
from pipeline.build.context import BuildContext
from pipeline.build.sources import boundaries, population
from pipeline.build.sources import claims as cl
from pipeline.build.sources import events as ev
from pipeline.build.sources import facilities as fa
from pipeline.build.sources import idf_zones as iz
from pipeline.build.sources import orders as od
from pipeline.build.sources import places as pl
from pipeline.build.sources import reference as rf
from pipeline.build.sources import series as se
from pipeline.build.sources import zones as zn
from pipeline.core import settings
from pipeline.core.errors import InputError
from pipeline.core.facilities import FACILITY_KINDS
from pipeline.core.i18n import N_
from pipeline.core.layers import AREA_CRS, area_km2
from pipeline.core.storage import to_storage

Step = Callable[[BuildContext], None]



def build_boundaries(ctx: BuildContext) -> None:
    """Build step: ``strip`` and ``governorates`` (with their pre-war population)."""

    strip = to_storage(boundaries.strip_from_outline(ctx.path(boundaries.STRIP_FILE)))
    ctx.add("strip", strip, inputs=[boundaries.STRIP_FILE], description=N_("The Gaza Strip outline."))
    gov = boundaries.governorates_from_arabic_polygons(ctx.path(boundaries.GOVERNORATES_FILE), strip)
    prewar, method = population.prewar_by_governorate(ctx)
    gov = gov.merge(prewar, on="pcode", how="left", validate="1:1")
    gov = to_storage(gov)[["pcode", "name_en", "name_ar", "area_km2", "pop_prewar", "pop_prewar_source",
                           "pop_prewar_year", "geometry"]]
    ctx.add("governorates", gov, inputs=[boundaries.GOVERNORATES_FILE, *method["inputs"]],
            description=N_("The five governorates (OCHA pcodes) with a pre-war population."),
            pop_method=method["text"])
    ctx.note("strip_area_km2", float(strip["area_km2"].iloc[0]))
    ctx.note("governorates_union_vs_strip",
             round(float(area_km2(gov).sum() / strip["area_km2"].iloc[0]), 4))
    ctx.note("prewar_population", {str(pcode): int(pop) for pcode, pop in zip(gov["pcode"], gov["pop_prewar"],
                                                                              strict=True)})


def build_blocks(ctx: BuildContext) -> None:
    """Build step: ``localities`` and ``blocks`` (with ``pop_prewar_est``)."""

    gov = ctx.geo_layer("governorates")
    blocks = derive.blocks_from_grid(ctx.path(derive.BLOCKS_FILE))
    blocks["pcode"] = derive.assign_largest_overlap(blocks, gov, "pcode")
    if blocks["pcode"].isna().any():
        raise InputError("a block overlaps no governorate", file=derive.BLOCKS_FILE,
                         row=int(blocks.index[blocks["pcode"].isna()][0]))

    points, fixes = population.localities_from_pcbs_points(ctx.path(population.LOCALITIES_FILE), gov)
    totals = gov.set_index("pcode")["pop_prewar"]
    p17 = points["pop2017"].fillna(0)
    factor = (totals / p17.groupby(points["pcode"]).sum()).rename("factor")
    points["pop2017"] = p17
    points["pop_prewar_est"] = p17 * points["pcode"].map(factor)

    ctx.path(derive.MUNICIPAL_FILE)
    polys = gpd.read_file(ctx.raw_dir / derive.MUNICIPAL_SHP).rename(columns={"NAME": "poly_name"})
    if polys.crs is None:
        raise InputError("shapefile has no .prj (CRS unknown)", file=derive.MUNICIPAL_SHP)
    sources = derive.locality_sources(polys, points, gov)

    spread = derive.spread_to_blocks(sources, blocks)
    pre_rake = pd.Series(spread).groupby(blocks["pcode"].to_numpy()).sum()
    raked = derive.rake_to_totals(spread, blocks["pcode"], totals)
    blocks["pop_prewar_est"] = derive.round_preserving_total(raked, blocks["pcode"])
    blocks["pop_method"] = derive.POP_METHOD
    blocks["area_km2"] = area_km2(blocks).round(4)
    blocks["locality"] = derive.assign_largest_overlap(blocks, sources.to_crs(4326), "name_en")
    blocks = blocks.sort_values("block_id").reset_index(drop=True)
    blocks = to_storage(blocks[["block_id", "neighbourhood", "locality", "pcode", "area_km2",
                                "pop_prewar_est", "pop_method", "geometry"]])
    ctx.add("blocks", blocks, inputs=[derive.BLOCKS_FILE, derive.MUNICIPAL_FILE, population.LOCALITIES_FILE],
            description=N_("The IDF evacuation-block grid of 1 Dec 2023 with a dasymetric pre-war population estimate."),
            pop_method=derive.POP_METHOD)

    loc = sources.to_crs(4326).reset_index(drop=True)
    loc = gpd.GeoDataFrame({
        "locality_id": np.arange(1, len(loc) + 1),
        "name_en": loc["name_en"].to_numpy(),
        "name_ar": None,
        "pcode": loc["pcode"].to_numpy(),
        "pop2017": loc["pop2017"].round().astype(int).to_numpy(),
        "pop_prewar_est": loc["pop"].round().astype(int).to_numpy(),
        "polygon_source": np.where(loc["poly_name"].isna() & loc["name_en"].str.startswith("(land"),
                                   "governorate remainder", "TentNetFA municipal boundaries"),
    }, geometry=loc.geometry.to_numpy(), crs=4326)
    loc = to_storage(loc)
    ctx.add("localities", loc, inputs=[derive.MUNICIPAL_FILE, population.LOCALITIES_FILE],
            description=N_("Locality polygons (cut by governorate) carrying scaled PCBS 2017 populations."))

    ctx.note("locality_fixes", fixes)
    ctx.note("blocks_population_before_scaling_vs_total", {
        k: round(float(pre_rake.get(k, 0.0) / totals[k]), 4) for k in totals.index})
    ctx.note("blocks", {"count": int(len(blocks)), "area_km2": round(float(blocks["area_km2"].sum()), 2),
                        "pop_prewar_est": int(blocks["pop_prewar_est"].sum()),
                        "zero_population_blocks": int((blocks["pop_prewar_est"] == 0).sum())})


def build_places(ctx: BuildContext) -> None:
    """Build step: the ``places`` layer (gazetteer)."""

    inputs = [pl.REFERENCE_FILE, pl.PCBS_FILE, pl.OSM_FILE, pl.CAMPS_FILE, pl.LANDMARKS_FILE, pl.MAWASI_FILE, pl.WADI_FILE, pl.BUFFER_FILE]
    ref = pl.read_reference(ctx.path(pl.REFERENCE_FILE))
    pcbs, fixes = pl.pcbs_localities(ctx.path(pl.PCBS_FILE))
    places = pl.places_from_sources(
        ref,
        pcbs=pcbs,
        osm=pl.osm_names(ctx.path(pl.OSM_FILE)),
        camps=pl.read_vector(ctx.path(pl.CAMPS_FILE), pl.CAMPS_FILE),
        landmarks=pl.read_vector(ctx.path(pl.LANDMARKS_FILE), pl.LANDMARKS_FILE),
        mawasi=pl.read_vector(ctx.path(pl.MAWASI_FILE), pl.MAWASI_FILE),
        wadi=pl.read_vector(ctx.path(pl.WADI_FILE), pl.WADI_FILE),
        perimeter=pl.read_vector(ctx.path(pl.BUFFER_FILE), pl.BUFFER_FILE),
        strip=ctx.geo_layer("strip"),
        governorates=ctx.geo_layer("governorates"),
    )
    ctx.add("places", to_storage(places), inputs=inputs,
            description=N_("Gazetteer: named places in English and Arabic with aliases, kinds, governorate "
                           "pcode and a label point; regions as polygons; places outside Gaza flagged."),
            regions="northern/southern Gaza: Strip split by the Wadi Gaza line (ends extended); east of "
                    "Khan Younis: PS0270 east of a line through the city point parallel to the Strip's long "
                    f"axis; the coast: land within {geometry.COAST_BAND_M:.0f} m of the sea coast.",
            licence_note="Names from OpenStreetMap © OpenStreetMap contributors (ODbL).")
    ctx.note("places_count", int(len(places)))
    ctx.note("places_inside_gaza", int(places["inside_gaza"].sum()))
    ctx.note("places_pcbs_fixes", fixes)
    ctx.note("places_pcbs_unused", sorted(set(pcbs.index) - {
        g.split(":", 1)[1] for g in ref["geometry_from"] if g.startswith(("pcbs:", "camp:"))}))


def _sub_blocks(ctx: BuildContext, zones: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The ``sub_blocks`` layer: outlines the period layers draw, with the parent's population shared by area."""
    sb = iz.sub_block_outlines(zones, blocks)
    parent = blocks.set_index("block_id")
    sb["area_km2"] = area_km2(sb).round(4)
    sb["pop_prewar_est"] = (parent.loc[sb["block_id"], "pop_prewar_est"].to_numpy() * sb["share_of_parent"]).round()
    sb["pop_prewar_est"] = sb["pop_prewar_est"].astype(int)
    sb["source"] = iz.SOURCE_ZONES
    return to_storage(sb[["sub_block_id", "block_id", "share_of_parent", "area_km2", "pop_prewar_est", "source",
                          "variants", "files", "geometry"]])


def _period_differences(zones: pd.DataFrame, gm: list[od.RawOrder]) -> dict[str, Any]:
    """Per order drawn in the period layers: block ids only in the list and only in the layers (displaced, safe)."""
    out: dict[str, Any] = {}
    for status, attr in (("displaced", "raw_ids"), ("safe", "safe_ids")):
        listed = {int(o.order_id.split("-")[1]): set(getattr(o, attr)) for o in gm}
        if status == "displaced":  # the list's own ids, before any order was placed from the layers
            listed = {k: v for k, v in listed.items()}
        diffs = iz.compare_with_list(zones, listed, status)
        out[status] = {"orders_compared": len(diffs), "equal": sum(d.equal for d in diffs),
                       "differences": {f"gazamaps-{d.gazamaps_id}": {"only_in_list": list(d.only_in_list),
                                                                     "only_in_period_layers": list(d.only_in_zones)}
                                       for d in diffs if not d.equal}}
    return out


def build_orders(ctx: BuildContext) -> None:
    """Build step: ``orders`` (mapped, unplaced and reported-not-mapped), ``order_blocks``, ``sub_blocks``."""

    blocks, strip = ctx.geo_layer("blocks"), ctx.geo_layer("strip")
    gm = od.read_gazamaps(ctx.path(od.GAZAMAPS_FILE))
    zones = iz.read_zone_dir(ctx.path(iz.ZONES_DIR))
    differences = _period_differences(zones, gm)
    placed_from_zones = od.place_from_zones(gm, iz.order_block_sets(zones, "displaced"))
    sub_blocks = _sub_blocks(ctx, zones, blocks)
    outlines = dict(zip(sub_blocks["sub_block_id"], sub_blocks.geometry, strict=True))
    oc = od.read_ocha_2025(ctx.path(od.OCHA_FILE))
    d2, m2 = od.read_polygon_order(ctx.path(od.DEC2_FILE), date(2023, 12, 2), blocks, label=od.DEC2_FILE)
    d4, m4 = od.read_polygon_order(ctx.path(od.DEC4_FILE), date(2023, 12, 4), blocks, label=od.DEC4_FILE)
    north = od.read_area(ctx.path(od.NORTH_AREA_FILE), strip, label=od.NORTH_AREA_FILE)
    # Check the area file against the Wadi Gaza line: the Strip north of the line, cut along it.
    wadi = gpd.read_file(ctx.path(od.WADI_FILE)).to_crs(4326).union_all()
    by_line = geometry.north_of_line(strip, wadi)
    a = gpd.GeoSeries([north, by_line], crs=4326).to_crs(AREA_CRS)
    iou = float(a.iloc[0].intersection(a.iloc[1]).area / a.iloc[0].union(a.iloc[1]).area)
    ctx.note("orders_north_area_check", {
        "area_file_km2": round(a.iloc[0].area / 1e6, 2), "strip_north_of_wadi_line_km2": round(a.iloc[1].area / 1e6, 2),
        "iou": round(iou, 3)})

    areas = {k: (north, how) for k, (f, how) in od.AREA_ORDERS.items() if f == od.NORTH_AREA_FILE}
    res = od.assemble_orders(gm, oc + [d2, d4], blocks, areas=areas, geometry_matched={d2.order_id, d4.order_id},
                             outlines=outlines)
    polygon_report = {}
    for o, m, f in ((d2, m2, od.DEC2_FILE), (d4, m4, od.DEC4_FILE)):
        polygon_report[o.order_id] = {"polygons": int(len(m)), "matched": int(m["block_id"].notna().sum()),
                                      "unmatched": int(m["block_id"].isna().sum()),
                                      "min_iou": float(m["iou"].min()),
                                      "same_block_twice": int(m["block_id"].dropna().duplicated().sum())}
    outline_km2 = dict(zip(sub_blocks["sub_block_id"], sub_blocks["area_km2"], strict=True))
    cc_parent = od.cross_check(gm, res.order_blocks, blocks)
    cc = od.cross_check(gm, res.order_blocks, blocks, outline_km2)
    rel = cc["rel_diff"].abs()

    orders = res.orders
    placed = orders.geometry.notna()
    geo = to_storage(orders[placed.to_numpy()])
    # the stubs do not admit missing geometries (None), which GeoSeries takes
    no_geometry = gpd.GeoSeries([None] * len(orders), index=orders.index, crs=4326)  # type: ignore[arg-type]
    orders = gpd.GeoDataFrame(orders.drop(columns="geometry"), geometry=no_geometry, crs=4326)
    orders.loc[placed, "geometry"] = geo.geometry
    reported = rf.read_reported_unmapped(ctx.path(rf.REPORTED_FILE))
    orders = gpd.GeoDataFrame(pd.concat([orders, reported], ignore_index=True), geometry="geometry", crs=4326)
    orders = orders.sort_values(["issued_on", "order_id"]).reset_index(drop=True)
    orders["safe_block_count"] = orders["safe_block_count"].fillna(0).astype(int)
    orders = orders[["order_id", "issued_on", "listed_on", "posted_at_utc", "source_name", "source_url", "link",
                     "stated_area_km2", "destination", "sources", "source_urls", "merged_from", "kind", "repeat_of",
                     "placed_by", "area_km2", "block_count", "safe_blocks", "safe_block_count", "reported_area",
                     "reported_area_km2", "reported_people", "reported_wording", "attributed_to", "reported_via",
                     "block_source", "possible_duplicate_of", "geometry"]]
    inputs = [od.GAZAMAPS_FILE, od.OCHA_FILE, od.DEC2_FILE, od.DEC4_FILE, od.NORTH_AREA_FILE, od.WADI_FILE,
              iz.ZONES_DIR, rf.REPORTED_FILE]
    ctx.add("orders", orders, inputs=inputs,  # unplaced orders keep an empty geometry (schema allows it)
                       description=N_("Evacuation orders (GazaMaps list and period layers, OCHA 2025 list by date, "
                                      "bothness 2/4 Dec 2023), duplicates across sources merged, repeats marked; orders "
                                      "OCHA/UNRWA reported that no source maps, as 'reported, not mapped'; geometry = "
                                      "union of named blocks, sub-block outlines or area."),
                       dedupe_rule=od.__doc__.split("* **Duplicates across sources**")[1].strip(),
                       date_rule=od.__doc__.split("* **Dates**: ")[1].split("* **Repeats**")[0].strip())
    ctx.add("order_blocks", res.order_blocks, inputs=inputs,
            description=N_("Blocks named by each order with how the id was matched to the grid."))
    ctx.add("sub_blocks", sub_blocks, inputs=[iz.ZONES_DIR, derive.BLOCKS_FILE],
            description=N_("Sub-block outlines drawn by GazaMaps' period layers (clipped to the parent block)."))

    r = res.report
    ob = res.order_blocks
    subs = ob[ob["matched_as"].isin(["sub-block-outline", "parent-of-sub-block"])]
    print(f"orders: id matches {r['id_match_totals']} (exact / sub-block-outline / parent-of-sub-block / unknown)")
    ctx.note("orders_counts_by_source", r["order_counts_by_source"])
    ctx.note("orders_id_match_counts", r["id_match_counts"])
    ctx.note("orders_id_match_totals", r["id_match_totals"])
    ctx.note("orders_sub_blocks", {
        "outlines_shipped": int(len(sub_blocks)),
        "named_with_outline": {"occurrences": int((subs["matched_as"] == "sub-block-outline").sum()),
                               "distinct_ids": int(subs.loc[subs["matched_as"] == "sub-block-outline", "raw_id"]
                                                   .map(iz.block_label).nunique())},
        "named_without_outline_parent_rule": {
            "occurrences": int((subs["matched_as"] == "parent-of-sub-block").sum()),
            "ids": sorted(subs.loc[subs["matched_as"] == "parent-of-sub-block", "raw_id"].map(iz.block_label).unique(),
                          key=float)},
        "rule": "a sub-block with an outline covers its outline; one without covers its whole parent block"})
    ctx.note("orders_placed_from_period_layers", placed_from_zones)
    ctx.note("orders_period_layers_vs_list", differences)
    ctx.note("orders_redated_from_post", od.redated(gm))
    ctx.note("orders_repeats", r["repeats"])
    ctx.note("orders_unknown_ids", r["unknown_ids"])
    ctx.note("orders_polygon_matching", polygon_report)
    ctx.note("orders_area_orders", r["area_orders"])
    ctx.note("orders_unplaced", r["unplaced_orders"])
    ctx.note("orders_merged_duplicates", {"count": r["merged_count"], "into": r["merged_duplicates"]})
    ctx.note("orders_total", {"orders": int(len(orders)),
                              "by_kind": {k: int(v) for k, v in orders["kind"].value_counts().sort_index().items()}})
    ctx.note("orders_reported_not_mapped", reported["order_id"].tolist())
    ctx.note("orders_cross_check_gazamaps_area", {
        "orders_compared": int(len(cc)), "median_abs_rel_diff": round(float(rel.median()), 4),
        "p90_abs_rel_diff": round(float(rel.quantile(0.9)), 4),
        "mean_abs_km2_diff": round(float((cc["ours_km2"] - cc["stated_km2"]).abs().mean()), 3),
        "mean_abs_km2_diff_parent_rule": round(float((cc_parent["ours_km2"] - cc_parent["stated_km2"]).abs().mean()), 3),
        "worst": cc.reindex(rel.sort_values(ascending=False).index[:5])[
            ["order_id", "stated_km2", "ours_km2", "sub_blocks"]].to_dict("records"),
        "note": "ours = grid area of the blocks GazaMaps names; a sub-block counts as its outline where the period "
                "layers draw one, else as its whole parent block (mean_abs_km2_diff_parent_rule: all as parents)"})


DAMAGE_FILE = "events/unosat-damage-density-2025-10-11.geojson"


def note_population_weighting_test(ctx: BuildContext) -> None:
    """Build report only: the pre-war population of the orders OCHA gives a figure for, as shipped and re-weighted
    by UNOSAT's Oct 2025 damaged-structure counts (a test; the shipped estimate is not changed: the layer counts
    damaged buildings, so weighting by it is partly circular)."""
    blocks, ob = ctx.geo_layer("blocks"), ctx.layer("order_blocks")
    orders = ctx.layer("orders")
    cells = gpd.read_file(ctx.path(DAMAGE_FILE))
    w = derive.counts_to_blocks(cells, blocks)
    variants = {"shipped": blocks.set_index("block_id")["pop_prewar_est"].astype(float),
                "blend_0.5": derive.reweight_population(blocks, w, blend=0.5),
                "structures": derive.reweight_population(blocks, w, blend=1.0)}
    issued = pd.to_datetime(orders["issued_on"]).dt.date
    counted = orders["kind"].isin(["blocks", "area"]) & orders["repeat_of"].isna()

    def ids(sel: pd.Series, pcodes: tuple[str, ...] | None = None) -> set[int]:
        got = ob[ob["order_id"].isin(orders.loc[sel & counted, "order_id"])]["block_id"].dropna().astype(int)
        b = set(got)
        if pcodes:
            b &= set(blocks.loc[blocks["pcode"].isin(pcodes), "block_id"])
        return b

    cases = {
        "2023-12-02 southern orders (OCHA 352,000)": (ids((issued >= date(2023, 12, 1)) & (issued <= date(2023, 12, 2)),
                                                          ("PS0265", "PS0270", "PS0275")), 352_000),
        "2024-01-29 western Gaza City order (OCHA 300,000)": (ids(orders["order_id"] == "gazamaps-15"), 300_000),
        "2024-01-30 since 1 Dec 2023 (OCHA 1,380,000)": (ids((issued >= date(2023, 12, 1))
                                                             & (issued <= date(2024, 1, 30))), 1_380_000),
    }
    out: dict[str, object] = {}
    for name, (b, ocha) in cases.items():
        out[name] = {k: {"people": int(round(v.reindex(sorted(b)).sum())),
                         "ratio_to_ocha": round(float(v.reindex(sorted(b)).sum()) / ocha, 2)}
                     for k, v in variants.items()}
    out["note"] = ("whole blocks (sub-blocks as parents); the structure weight is UNOSAT's damaged-structure count of "
                   "Oct 2025, partly circular for areas under orders, so the shipped estimate is unchanged")
    ctx.note("population_structure_weighting", out)


def build_statements(ctx: BuildContext) -> None:
    """Build step: the ``statements`` reference layer (OCHA's published figures, attributed)."""
    st = pd.concat([rf.read_statements(ctx.path(rf.STATEMENTS_FILE)),
                    rf.read_zone_area_reports(ctx.path(rf.ZONE_REPORTS_FILE))], ignore_index=True)
    st = st.sort_values(["stated_on", "statement_id"]).reset_index(drop=True)
    ctx.add("statements", st, inputs=[rf.STATEMENTS_FILE, rf.ZONE_REPORTS_FILE],
            description=N_("OCHA statements on the area under orders and the zone, with framing and comparability; "
                           "reference figures shown beside ours, never merged."))
    ctx.note("statements", {"rows": int(len(st)), "comparable": int(st["comparable"].sum()),
                            "not_comparable": st.loc[~st["comparable"], "statement_id"].tolist()})


def build_zones(ctx: BuildContext) -> None:

    z, excluded = zn.read_tentnetfa_zones(ctx.path(zn.ZONES_FILE))
    m = zn.read_mawasi_proposal(ctx.path(zn.MAWASI_FILE))
    zones = zn.with_area(gpd.GeoDataFrame(pd.concat([z, m], ignore_index=True), geometry="geometry", crs=4326))
    zones = zones.sort_values(["valid_from", "zone_id"]).reset_index(drop=True)
    zones = to_storage(zones[["zone_id", "kind", "name", "valid_from", "valid_to", "area_km2", "source", "geometry"]])
    ctx.add("zones", zones, inputs=[zn.ZONES_FILE, zn.MAWASI_FILE],
            description=N_("Declared humanitarian zone versions (valid_from <= day < valid_to) and the Dec 2023 "
                           "Al-Mawasi proposal; one zone per date by the rule in pipeline/sources/zones.py."))
    ctx.note("zones", {"kept": int(len(zones)), "excluded": excluded,
                       "rule": "valid_from <= D < valid_to; declared versions win over the proposal; latest start wins"})


def build_events(ctx: BuildContext) -> None:

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
    events, report = ev.place_events(pd.concat(parts, ignore_index=True), ctx.geo_layer("strip"),
                                     ctx.geo_layer("blocks"), ctx.geo_layer("governorates"), settings.get(settings.STRIP_TOLERANCE_M))
    events = to_storage(events)
    ctx.add("events", events, inputs=[ev.II_DIR, ev.JABALIA_FILE],
            description=N_("Incidents (Insecurity Insight, CC BY; Forensic Architecture Jabalia) inside the Strip, "
                           "joined to block and governorate."))
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
            description=N_("Dated series (long format): casualties, aid trucks, population by governorate "
                           "(advertising-audience estimates), UNRWA IDPs."), population_method=se.POP_METHOD)
    ctx.note("series_rows", {k: int(v) for k, v in series["metric"].value_counts().sort_index().items()})
    ctx.note("series_filled_days", int(series.loc[series["metric"] == "killed_cum", "filled"].sum()))
    ctx.note("series_floor_flagged_rows", int(series["flag"].notna().sum()))
    ctx.note("series_unreadable_values", problems)


def build_claims(ctx: BuildContext) -> None:
    claims = cl.read_claims(ctx.path(cl.CLAIMS_FILE))
    ctx.add("claims", claims, inputs=[cl.CLAIMS_FILE],
            description=N_("The default scenario's attributed claims (restated as data; never the app's own claim)."))
    ctx.note("claims", int(len(claims)))


def build_time_layers(ctx: BuildContext) -> None:
    """Build step: orders, order_blocks, zones, events, series, claims."""
    build_orders(ctx)
    note_population_weighting_test(ctx)
    build_statements(ctx)
    build_zones(ctx)
    build_events(ctx)
    build_series(ctx)
    build_claims(ctx)


def build_facilities(ctx: BuildContext) -> None:
    """Build step: ``facilities`` (named landmarks classified by kind from their Arabic names)."""
    rules = fa.read_rules(ctx.path(fa.RULES_FILE))
    landmarks = pl.read_vector(ctx.path(fa.LANDMARKS_FILE), fa.LANDMARKS_FILE)
    fac = fa.facilities_from_landmarks(landmarks, rules, ctx.geo_layer("blocks"), ctx.geo_layer("governorates"),
                                       tolerance_m=settings.get(settings.STRIP_TOLERANCE_M))
    fac = to_storage(fac)
    ctx.add("facilities", fac, inputs=[fa.LANDMARKS_FILE, fa.RULES_FILE],
            description=N_("Named landmarks with a kind from their Arabic name (school, hospital, clinic, pharmacy, "
                           "water, bakery, mosque, shelter, other), joined to block and governorate."),
            rules=fa.__doc__.split("its kind comes from")[1].split("Block:")[0].strip())
    counts = {k: int((fac["kind"] == k).sum()) for k in FACILITY_KINDS}
    print("facilities by kind: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    ctx.note("facilities_by_kind", counts)
    ctx.note("facilities_total", int(len(fac)))
    ctx.note("facilities_without_block", int(fac["block_id"].isna().sum()))
    ctx.note("facilities_without_governorate", int(fac["pcode"].isna().sum()))
    ctx.note("facilities_rule_hits", {str(k): int(v) for k, v in fac["rule"].value_counts().sort_index().items()})


# (label, step), in order.  Later steps may use earlier layers.
STEPS: list[tuple[str, Step]] = [
    ("strip and governorates", build_boundaries),
    ("blocks and pre-war population", build_blocks),
    ("places (gazetteer)", build_places),
    ("orders, zones, events, series", build_time_layers),
    ("facilities (landmarks by kind)", build_facilities),
]
