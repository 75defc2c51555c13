"""The user's own order layers: validated against the block grid, and the "with your orders" figure.

:func:`finish_orders` checks an orders file read by ``pipeline.runtime.readers.orders`` (unknown block
ids rejected with row and value; sub-block ids matched as the shipped orders are: a sub-block GazaMaps
draws covers its outline, any other its whole parent block; polygons must touch the Strip; every order
needs a date) and gives each row its geometry. :func:`with_your_orders` computes the shipped "area
under orders" figure with the user's order layers added: the same union, the same denominator,
returned apart from the shipped figure (never merged into it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.core.i18n import N_, msg
from pipeline.core.layers import AREA_CRS, area_km2
from pipeline.runtime.bundle import load_geolayer
from pipeline.runtime.detect import Parsed, Problem
from pipeline.runtime.metrics_index import Index

KIND = "orders"
WAR_START = date(2023, 10, 7)
DEF_WITH_YOURS = N_(
    "Area under orders, with your orders: the union counted by the shipped figure (the blocks and areas named by "
    "orders issued on or after `since` and on or before `on`, each place counted once) with the blocks and "
    "polygons of your imported order layers dated in the same period added, in km² (EPSG:32636) within the Strip "
    "outline and as a share of the Strip outline's area (the same denominator). Your block ids match the grid as "
    "the shipped orders do: a sub-block GazaMaps draws (e.g. 642.1) covers its outline, any other sub-block id its "
    "whole parent block; a polygon counts from its date, clipped to the Strip. Blocks: the blocks named (your "
    "polygons add area, not blocks). Shown beside the shipped figure, never in it.")


# ---------------------------------------------------------------- import


def finish_orders(p: Parsed, layer: str | None = None) -> tuple[gpd.GeoDataFrame, list[Problem], list[str]]:
    """Validate an orders file; return (one row per block or polygon with its geometry, problems, warnings)."""
    f = p.frame.copy()
    problems, warnings = list(p.problems), list(p.warnings)
    rows = f["_row"]
    today = pd.Timestamp(datetime.now(timezone.utc).date())
    date_field = p.meta.get("columns", {}).get("date") or "date"
    future = f["issued_on"] > today
    problems += [Problem(int(r), date_field, msg(N_("order date {date} is in the future"), date=d.date()), fix=msg(N_("check the year")),
                         layer=layer) for r, d in zip(rows[future], f["issued_on"][future], strict=True)]
    early = f["issued_on"] < pd.Timestamp(WAR_START)
    problems += [Problem(int(r), date_field, msg(N_("order date {date} is before the war began (7 Oct 2023)"), date=d.date()),
                         fix=msg(N_("check the date (day and month swapped?)")), layer=layer)
                 for r, d in zip(rows[early], f["issued_on"][early], strict=True)]
    blocks = load_geolayer("blocks").set_index("block_id")
    if isinstance(f, gpd.GeoDataFrame):
        strip = load_geolayer("strip").union_all()
        geoms = np.asarray(f.geometry.values)
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        outside = present & ~shapely.intersects(strip, geoms)
        problems += [Problem(int(r), "geometry", msg(N_("lies outside the Gaza Strip")), fix=msg(N_("check the CRS")), layer=layer)
                     for r in rows[outside]]
        # an order layer read back keeps how each block was matched; a drawn area is a polygon
        f["matched_as"] = f["matched_as"].fillna("polygon") if "matched_as" in f else "polygon"
        gdf = gpd.GeoDataFrame(f, geometry=f.geometry.name, crs=4326)
    else:
        field = f.attrs.get("block_field", "block_id")
        known = f["block_id"].isin(blocks.index).fillna(False).astype(bool)
        unknown = f["block_id"].notna() & ~known
        problems += [Problem(int(r), field, msg(N_("unknown block id {raw} (not in the 1 Dec 2023 block grid)"), raw=raw),
                             fix=msg(N_("check the block number")), layer=layer)
                     for r, raw in zip(rows[unknown], f.loc[unknown, "raw"], strict=True)]
        subs = load_geolayer("sub_blocks").set_index("sub_block_id")
        drawn = f["sub_block_id"].isin(subs.index).fillna(False).astype(bool)
        f["matched_as"] = np.where(drawn, "sub-block-outline",
                                   np.where(f["sub_block_id"].notna(), "parent-of-sub-block", "exact"))
        geom = np.asarray(blocks.geometry.reindex(f["block_id"].where(known).astype("float").to_numpy()).values)
        geom[drawn.to_numpy()] = np.asarray(subs.geometry.reindex(f.loc[drawn, "sub_block_id"].to_numpy()).values)
        before = len(f)
        f = f.assign(_key=f["sub_block_id"].fillna(f["block_id"].astype("string")))
        repeated = f.duplicated(["order_id", "_key"]).to_numpy()
        gdf = gpd.GeoDataFrame(f.drop(columns=["raw", "_key"]), geometry=geom, crs=4326).loc[~repeated]
        if repeated.any():
            warnings.append(msg(N_("{n} of {before} block id(s) repeated within the same order, counted once"), n=int(repeated.sum()), before=before))
    gdf = gdf.set_geometry(gpd.GeoSeries([shapely.MultiPolygon([g]) if isinstance(g, shapely.Polygon) else g
                                          for g in gdf.geometry], index=gdf.index, crs=4326))
    gdf["area_km2"] = np.nan
    have = gdf.geometry.notna().to_numpy()
    if have.any():
        gdf.loc[have, "area_km2"] = area_km2(gdf.loc[have]).round(4).to_numpy()
    return gdf, problems, warnings


# ---------------------------------------------------------------- the figure


def _user_terms(ix: Index, start: date, end: date, layers: Sequence[tuple[Mapping[str, Any], pd.DataFrame]]
                ) -> tuple[np.ndarray, np.ndarray, list[shapely.Geometry], list[dict[str, Any]]]:
    """(units named, blocks named, polygons in EPSG:32636, per-layer summary) of the orders dated in [start, end]."""
    pos = {int(b): i for i, b in enumerate(ix.block_ids)}
    label_unit = {lab: u for u, lab in enumerate(ix.unit_label) if lab is not None}
    units = np.zeros(len(ix.unit_block), bool)
    blocks = np.zeros(len(ix.block_ids), bool)
    polys: list[shapely.Geometry] = []
    summary = []
    for entry, frame in layers:
        issued = pd.to_datetime(frame["issued_on"]).dt.date
        f = frame[((issued >= start) & (issued <= end)).to_numpy()]
        named = f[f["block_id"].notna()]
        for b, lab, how in zip(named["block_id"].astype(int), named["sub_block_id"], named["matched_as"],
                               strict=True):
            if b not in pos:
                continue
            blocks[pos[b]] = True
            if how == "sub-block-outline" and lab in label_unit:
                units[label_unit[lab]] = True
            else:
                units[ix.unit_block == pos[b]] = True
        areas = f[f["block_id"].isna() & f.geometry.notna()]
        if len(areas):
            geo = gpd.GeoSeries(np.asarray(areas["geometry"].values), crs=getattr(frame, "crs", None) or 4326)
            polys += list(np.asarray(geo.to_crs(AREA_CRS).values))
        summary.append({"name": entry.get("name"), "origin": entry.get("origin"), "imported_at": entry.get("imported_at"),
                        "orders": int(f["order_id"].nunique()), "orders_in_layer": int(frame["order_id"].nunique()),
                        "blocks_named": int(named["block_id"].nunique()), "polygons": int(len(areas))})
    return units, blocks, polys, summary


def with_your_orders(ix: Index, start: date, end: date,
                     layers: Sequence[tuple[Mapping[str, Any], pd.DataFrame]]) -> dict[str, Any] | None:
    """The shipped "area under orders" of [start, end] with the user's order layers added; None without any.

    ``layers`` are (workspace manifest entry, stored frame) pairs; only entries of kind ``orders`` count.
    Returns ``{"area_km2", "share_of_strip", "blocks", "shipped": {area_km2, share_of_strip, blocks},
    "added_km2", "added_points", "layers": [{name, origin, imported_at, orders, ...}], "definition",
    "from", "to", "workspace": True}``.
    """
    mine = [(e, f) for e, f in layers if e.get("kind") == KIND]
    if not mine:
        return None
    d = ix.order_dates
    sel = (d >= np.datetime64(start)) & (d <= np.datetime64(end))
    shipped_km2, shipped_blocks = ix.covered(sel)
    gmask = ix.umember_geom[sel].any(axis=0) if sel.any() else np.zeros(len(ix.unit_block), bool)
    active = frozenset(int(i) for i in np.flatnonzero(sel) if int(i) in ix.area_of)
    units, blocks, polys, summary = _user_terms(ix, start, end, mine)
    if polys:
        if ix.outline is not None:
            polys = [shapely.intersection(shapely.make_valid(g), ix.outline) for g in polys]
        u = shapely.union_all([ix.area_of[i] for i in sorted(active)] + polys)
        a_area, outside = u.area / 1e6, shapely.area(shapely.difference(ix.unit_geom, u)) / 1e6
    else:
        a_area, outside = ix.area_terms(active)
    km2 = float(a_area + outside[gmask | units].sum())
    share = min(km2 / ix.strip_area, 1.0)
    shipped_share = min(shipped_km2 / ix.strip_area, 1.0)
    return {"area_km2": round(km2, 3), "share_of_strip": round(share, 4),
            "blocks": int((shipped_blocks | blocks).sum()),
            "shipped": {"area_km2": round(shipped_km2, 3), "share_of_strip": round(shipped_share, 4),
                        "blocks": int(shipped_blocks.sum())},
            "added_km2": round(km2 - shipped_km2, 3), "added_points": round(100 * (share - shipped_share), 1),
            "layers": summary, "from": start.isoformat(), "to": end.isoformat(), "workspace": True,
            "definition": DEF_WITH_YOURS}
