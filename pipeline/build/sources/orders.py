"""Evacuation orders: GazaMaps (Oct 2023 - Jun 2025), the OCHA-derived 2025 list, the 2 and 4 Dec 2023 block polygons.

Rules (each has a unit test on small inline data):

* **Block ids** are matched to the grid (``blocks.block_id``): ``exact`` when the id is a
  grid block; ``sub-block-outline`` when it is a sub-block such as ``100.1`` that GazaMaps'
  period layers draw (the order covers that outline only, see ``sub_blocks``);
  ``parent-of-sub-block`` when it is a sub-block with no outline whose parent ``100`` is a
  grid block (the order then covers the whole parent); ``unknown`` otherwise (kept in
  ``order_blocks`` with a null ``block_id`` and listed in the build report; never
  dropped).  An id repeated within one order is kept once.
* **Dates**: an order is dated by its source post where the list's date disagrees. An X
  status id encodes the post's UTC time (``((id >> 22) + 1288834974657)`` ms since the
  epoch); the order's date is the post's **UTC calendar day**, the convention the list
  itself follows (its 7 Oct 2023 21:59 UTC and 6 Aug 2024 21:37 UTC posts are dated by
  their UTC day although Gaza's local day was the next one).  ``listed_on`` keeps the
  list's date and ``posted_at_utc`` the decoded time.
* **Repeats**: an order whose block list (as written, labels normalised) equals an
  earlier order's is kept with ``repeat_of`` = that order; it is not counted again (the
  blocks keep the first order's date).
* **Period layers**: an order the list names without blocks takes the displaced blocks
  GazaMaps' period layers draw for it (``placed_by``); the list's "safe" labels are
  carried as data (``safe_blocks``), never counted as ordered area.
* **Polygon-only sources** (the bothness 2 and 4 Dec 2023 files have no properties)
  are matched to the grid by geometry: each polygon takes the block with the largest
  intersection-over-union; a polygon whose best IoU is below ``MIN_IOU`` is reported
  as unmatched and not used.
* **Area orders**: an order that names no block and states an area of 0 (GazaMaps lists
  the 13 Oct 2023 "north of Wadi Gaza" order that way, before the grid existed) is
  placed by an area geometry when one is known for its date (``AREA_ORDERS``); its
  block set is the blocks whose majority (> 50 % of their area) lies in the area.
  Orders naming no block and with no known area are kept with ``kind = "unplaced"``
  and no geometry, and listed in the build report.
* **Duplicates across sources** (the same order in two sources): an order of one source
  is merged into the orders of another source when (a) they are issued on the same
  date and the block sets are largely the same (Jaccard >= 0.5 against the union of that
  date's orders of the other source, or >= 90 % of the smaller set inside the larger), or
  (b) they are one day apart and Jaccard >= 0.8 against one order.  The merged order
  keeps the earlier source's id, date and link, lists both sources, and its block set
  is the union (each ``order_blocks`` row says which source named it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.build.sources.idf_zones import SOURCE_ZONES, block_label, status_time
from pipeline.core.dates import DateParseError, parse_date
from pipeline.core.errors import InputError
from pipeline.core.layers import AREA_CRS

GAZAMAPS_FILE = "orders/gazamaps-orders.json"
OCHA_FILE = "orders/ocha-orders-2025.csv"
DEC2_FILE = "orders/blocks-ordered-2023-12-02.bothness.geojson"
DEC4_FILE = "orders/blocks-ordered-2023-12-04.bothness.geojson"
NORTH_AREA_FILE = "orders/evacuation-area-north-oct2023.bothness.geojson"
WADI_FILE = "places/wadi-gaza.bothness.geojson"

SOURCE_GAZAMAPS = "GazaMaps (gazamaps.com), from IDF Arabic-language posts"
SOURCE_OCHA = "UN OCHA evacuation-order dashboard (list typed by GazaNowPop)"
SOURCE_BOTHNESS = "bothness/gaza-geojson (block polygons of the order)"

MATCH_KINDS = ("exact", "sub-block-outline", "parent-of-sub-block", "unknown", "area-majority")
MIN_IOU = 0.5
SAME_DAY_JACCARD = 0.5
SAME_DAY_CONTAINMENT = 0.9
NEXT_DAY_JACCARD = 0.8

# Orders that name an area, not blocks: issued_on -> (raw file, description of the area).
AREA_ORDERS: dict[str, tuple[str, str]] = {
    "2023-10-13": (NORTH_AREA_FILE, "the Strip north of Wadi Gaza (bothness area file, clipped to the Strip outline)"),
}


@dataclass
class RawOrder:
    """One order as read from one source, before matching and merging."""

    order_id: str
    issued_on: date
    source_name: str
    source_url: str | None
    stated_area_km2: float | None
    raw_ids: list[str] = field(default_factory=list)
    block_ids: list[int] = field(default_factory=list)  # for sources matched by geometry
    destination: str | None = None
    link: str | None = None
    listed_on: date | None = None           # the list's own date where the post's date replaced it
    posted_at: datetime | None = None       # UTC time decoded from the source post's status id
    safe_ids: list[str] = field(default_factory=list)
    ids_source: str | None = None           # who named the ids when not ``source_name`` (period layers)
    repeat_of: str | None = None


# --------------------------------------------------------------------------- id parsing and matching

def parse_block_ids(text: object) -> list[str]:
    """``"606, 607, 89.3"`` -> ``["606", "607", "89.3"]`` (order kept, repeats dropped)."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return []
    out: list[str] = []
    for part in re.split(r"[,;\s]+", str(text)):
        p = part.strip()
        if p and p not in out:
            out.append(p)
    return out


def match_block_id(raw: str, grid: set[int], outlines: set[str] | frozenset[str] = frozenset()
                   ) -> tuple[int | None, str]:
    """(block_id, matched_as) for one raw id against the grid's block ids and the sub-block labels
    that have an outline (``outlines``, e.g. ``{"42.1"}``)."""
    m = re.fullmatch(r"(\d+)(?:\.(\d+))?", raw.strip())
    if not m:
        return None, "unknown"
    whole = int(m[1])
    if m[2] is None:
        return (whole, "exact") if whole in grid else (None, "unknown")
    if int(m[2]) == 0 and whole in grid:  # "100.0" is the block itself
        return whole, "exact"
    if whole in grid and block_label(raw) in outlines:
        return whole, "sub-block-outline"
    return (whole, "parent-of-sub-block") if whole in grid else (None, "unknown")


def match_polygons_to_blocks(polys: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame,
                             min_iou: float = MIN_IOU) -> pd.DataFrame:
    """Best grid block for each polygon by intersection-over-union.

    Returns one row per polygon: ``poly`` (position), ``block_id`` (None when the
    best IoU is below ``min_iou``), ``iou``.
    """
    p = polys.to_crs(AREA_CRS).geometry.reset_index(drop=True)
    b = blocks.to_crs(AREA_CRS).reset_index(drop=True)
    bg = np.asarray(b.geometry.values)
    tree = shapely.STRtree(bg)
    rows = []
    for i, g in enumerate(p.values):
        g = shapely.make_valid(g)
        cand = tree.query(g, predicate="intersects")
        best, best_iou = None, 0.0
        for j in cand:
            inter = shapely.intersection(g, bg[j]).area
            union = shapely.union(g, bg[j]).area
            iou = inter / union if union > 0 else 0.0
            if iou > best_iou:
                best, best_iou = int(b.loc[j, "block_id"]), iou
        rows.append({"poly": i, "block_id": best if best_iou >= min_iou else None, "iou": round(best_iou, 4)})
    return pd.DataFrame(rows)


def majority_blocks(area: shapely.Geometry, blocks: gpd.GeoDataFrame, threshold: float = 0.5) -> list[int]:
    """Block ids with more than ``threshold`` of their area inside ``area`` (both in EPSG:4326 frames)."""
    b = blocks.to_crs(AREA_CRS)
    a = gpd.GeoSeries([area], crs=blocks.crs).to_crs(AREA_CRS).iloc[0]
    share = b.geometry.intersection(a).area / b.geometry.area
    return sorted(int(x) for x in b.loc[share > threshold, "block_id"])


# --------------------------------------------------------------------------- readers

def _date(value: object, label: str, row: int) -> date:
    try:
        return parse_date(value)
    except DateParseError as exc:
        raise InputError(f"unreadable date {value!r} ({exc})", file=label, row=row, field="date") from exc


def read_gazamaps(path: str | Path, *, label: str = GAZAMAPS_FILE) -> list[RawOrder]:
    """The GazaMaps orders (one per ``id``)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot be read as JSON ({exc})", file=label) from exc
    if not isinstance(data, list):
        raise InputError("expected a JSON array of orders", file=label)
    out = []
    seen: set[str] = set()
    for i, rec in enumerate(data):
        for key in ("id", "date", "displacement_blocks", "area_sq_km_displacement"):
            if key not in rec:
                raise InputError(f"order has no '{key}'", file=label, row=i, field=key)
        oid = f"gazamaps-{int(rec['id'])}"
        if oid in seen:
            raise InputError(f"duplicate id {rec['id']}", file=label, row=i, field="id")
        seen.add(oid)
        try:
            stated = float(rec["area_sq_km_displacement"]) if str(rec["area_sq_km_displacement"]).strip() else None
        except ValueError as exc:
            raise InputError(f"area {rec['area_sq_km_displacement']!r} is not a number", file=label, row=i,
                             field="area_sq_km_displacement") from exc
        listed = _date(rec["date"], label, i)
        posted = status_time(rec.get("source"))
        issued = posted.date() if posted is not None else listed
        out.append(RawOrder(
            order_id=oid, issued_on=issued, source_name=SOURCE_GAZAMAPS,
            source_url=(rec.get("source") or rec.get("link") or None), stated_area_km2=stated,
            raw_ids=parse_block_ids(rec["displacement_blocks"]), link=rec.get("link") or None,
            listed_on=listed, posted_at=posted, safe_ids=parse_block_ids(rec.get("labeled_safe_blocks")),
        ))
    return out


def redated(orders: Iterable[RawOrder]) -> list[dict[str, str]]:
    """The orders whose post date differs from the list's date: order_id, listed_on, posted_at_utc, issued_on."""
    return [{"order_id": o.order_id, "listed_on": o.listed_on.isoformat(), "issued_on": o.issued_on.isoformat(),
             "posted_at_utc": o.posted_at.strftime("%Y-%m-%d %H:%M")} for o in orders
            if o.listed_on is not None and o.posted_at is not None and o.listed_on != o.issued_on]


def find_repeats(orders: Iterable[RawOrder]) -> dict[str, str]:
    """{order_id: earlier order_id} for orders whose block list equals an earlier order's.

    Orders are taken by (issued_on, post time, id); labels are normalised (``42.10`` = ``42.1``);
    orders naming nothing are never repeats.
    """
    first: dict[frozenset[str], str] = {}
    out: dict[str, str] = {}
    for o in sorted(orders, key=lambda o: (o.issued_on, o.posted_at.timestamp() if o.posted_at else 1e18,
                                           o.order_id)):
        ids = frozenset(_label(x) for x in o.raw_ids)
        if not ids:
            continue
        if ids in first:
            out[o.order_id] = first[ids]
        else:
            first[ids] = o.order_id
    return out


def _label(raw: str) -> str:
    try:
        return block_label(raw)
    except ValueError:
        return raw.strip()


def place_from_zones(orders: list[RawOrder], zone_sets: dict[int, set[str]]) -> list[str]:
    """Give orders that name no block the displaced blocks the period layers draw for them (in place).

    ``zone_sets`` is {gazamaps id: block labels}; returns the ids of the orders placed this way.
    """
    placed = []
    for o in orders:
        gid = int(o.order_id.split("-")[1]) if o.order_id.startswith("gazamaps-") else None
        if o.raw_ids or gid not in zone_sets or not zone_sets[gid]:
            continue
        o.raw_ids = sorted(zone_sets[gid], key=float)
        o.ids_source = SOURCE_ZONES
        placed.append(o.order_id)
    return placed


def read_ocha_2025(path: str | Path, *, label: str = OCHA_FILE) -> list[RawOrder]:
    """The OCHA-derived list (``date,COD_mod``), grouped by date into one order per date."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in ("date", "COD_mod"):
        if col not in df.columns:
            raise InputError(f"missing column '{col}'", file=label)
    out = []
    dates = [_date(v, label, i + 2) for i, v in enumerate(df["date"])]
    df = df.assign(_d=dates)
    for key, grp in df.groupby("_d", sort=True):
        d = cast(date, key)  # the _d column holds the parsed dates
        out.append(RawOrder(
            order_id=f"ocha-{d.isoformat()}", issued_on=d, source_name=SOURCE_OCHA,
            source_url="https://www.unocha.org/occupied-palestinian-territory", stated_area_km2=None,
            raw_ids=parse_block_ids(",".join(grp["COD_mod"])),
        ))
    return out


def read_polygon_order(path: str | Path, issued_on: date, blocks: gpd.GeoDataFrame, *,
                       label: str) -> tuple[RawOrder, pd.DataFrame]:
    """An order given only as block polygons: matched to the grid by IoU. Returns (order, match table)."""
    polys = gpd.read_file(path)
    if polys.crs is None:
        raise InputError("has no CRS", file=label)
    match = match_polygons_to_blocks(polys, blocks)
    ids = sorted({int(x) for x in match["block_id"].dropna()})
    order = RawOrder(order_id=f"bothness-{issued_on.isoformat()}", issued_on=issued_on, source_name=SOURCE_BOTHNESS,
                     source_url="https://github.com/bothness/gaza-geojson", stated_area_km2=None,
                     raw_ids=[str(i) for i in ids], block_ids=ids)
    return order, match


def read_area(path: str | Path, strip: gpd.GeoDataFrame, *, label: str) -> shapely.Geometry:
    """An order's area polygon, valid and clipped to the Strip outline (EPSG:4326)."""
    gdf = gpd.read_file(path)
    if gdf.crs is None:
        raise InputError("has no CRS", file=label)
    geom = shapely.make_valid(gdf.to_crs(4326).union_all())
    return shapely.make_valid(geom.intersection(strip.to_crs(4326).union_all()))


# --------------------------------------------------------------------------- matching and merging

def jaccard(a: set[int], b: set[int]) -> float:
    return len(a & b) / len(a | b) if (a or b) else 0.0


def containment(a: set[int], b: set[int]) -> float:
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return len(small & large) / len(small) if small else 0.0


def find_duplicates(primary: dict[str, tuple[date, set[int]]],
                    other: dict[str, tuple[date, set[int]]]) -> dict[str, list[str]]:
    """Which ``other`` orders duplicate ``primary`` orders: {other_id: [primary ids it merges into]}.

    See the module docstring for the rule.
    """
    by_day: dict[date, list[str]] = {}
    for pid, (d, _) in primary.items():
        by_day.setdefault(d, []).append(pid)
    out: dict[str, list[str]] = {}
    for oid, (d, blocks) in sorted(other.items()):
        if not blocks:
            continue
        same = sorted(p for p in by_day.get(d, []) if primary[p][1])
        if same:
            union = set().union(*(primary[p][1] for p in same))
            if jaccard(blocks, union) >= SAME_DAY_JACCARD or containment(blocks, union) >= SAME_DAY_CONTAINMENT:
                hit = [p for p in same if primary[p][1] & blocks]
                out[oid] = hit or same
                continue
        near = []
        for delta in (-1, 1):
            for p in by_day.get(d + timedelta(days=delta), []):
                j = jaccard(blocks, primary[p][1])
                if j >= NEXT_DAY_JACCARD:
                    near.append((j, p))
        if near:
            out[oid] = [max(near)[1]]
    return out


def match_orders(orders: Iterable[RawOrder], grid: set[int], outlines: set[str] | frozenset[str] = frozenset()
                 ) -> pd.DataFrame:
    """``order_blocks`` rows for orders that name ids: order_id, block_id, raw_id, matched_as, source_name
    (who named the id: the order's source, or the period layers for orders they place)."""
    rows = []
    for o in orders:
        for raw in o.raw_ids:
            bid, how = match_block_id(raw, grid, outlines)
            rows.append({"order_id": o.order_id, "block_id": bid, "raw_id": raw, "matched_as": how,
                         "source_name": o.ids_source or o.source_name})
    df = pd.DataFrame(rows, columns=["order_id", "block_id", "raw_id", "matched_as", "source_name"])
    df["block_id"] = df["block_id"].astype("Int64")
    return df


def order_block_sets(ob: pd.DataFrame) -> dict[str, set[int]]:
    """Matched block ids per order (unknown ids left out)."""
    m = ob.dropna(subset=["block_id"])
    return {str(k): {int(x) for x in g["block_id"]} for k, g in m.groupby("order_id")}


# --------------------------------------------------------------------------- assembling the layers

@dataclass
class OrdersResult:
    orders: gpd.GeoDataFrame
    order_blocks: pd.DataFrame
    report: dict[str, Any]


def assemble_orders(
    primary: list[RawOrder],
    others: list[RawOrder],
    blocks: gpd.GeoDataFrame,
    *,
    areas: dict[str, tuple[shapely.Geometry, str]] | None = None,
    geometry_matched: set[str] | None = None,
    outlines: Mapping[str, shapely.Geometry] | None = None,
) -> OrdersResult:
    """Match, place, merge and draw the orders.

    ``primary`` orders (GazaMaps) keep their ids; ``others`` (OCHA, bothness) are merged
    into them where they duplicate one (see :func:`find_duplicates`) and kept as their own
    orders otherwise.  ``areas`` maps an ISO date to (area geometry in EPSG:4326,
    description) for orders that name an area; ``geometry_matched`` lists the order ids
    whose blocks came from polygon matching (``matched_as = "geometry"``); ``outlines`` maps a
    sub-block label to its outline (EPSG:4326): such a sub-block covers its outline, not its parent.
    Repeats (:func:`find_repeats`, among ``primary``) get ``repeat_of``.
    """
    areas = areas or {}
    outlines = dict(outlines or {})
    geometry_matched = geometry_matched or set()
    grid = {int(x) for x in blocks["block_id"]}
    everyone = list(primary) + list(others)
    ob = match_orders(everyone, grid, set(outlines))
    ob.loc[ob["order_id"].isin(geometry_matched), "matched_as"] = "geometry"
    id_counts = (ob[~ob["order_id"].isin(geometry_matched)].groupby(["source_name", "matched_as"]).size()
                 .unstack(fill_value=0))
    unknown = ob[ob["matched_as"] == "unknown"]
    report: dict[str, Any] = {
        "order_counts_by_source": {s: sum(o.source_name == s for o in everyone)
                                   for s in sorted({o.source_name for o in everyone})},
        "id_match_counts": {s: {k: int(v) for k, v in row.items()} for s, row in id_counts.iterrows()},
        "id_match_totals": {k: int((ob[~ob["order_id"].isin(geometry_matched)]["matched_as"] == k).sum())
                            for k in ("exact", "sub-block-outline", "parent-of-sub-block", "unknown")},
        "unknown_ids": sorted({f"{r.order_id}: {r.raw_id}" for r in unknown.itertuples()}),
    }

    # area orders and orders that name nothing
    kind: dict[str, str] = {}
    area_geom: dict[str, shapely.Geometry] = {}
    placed, unplaced = [], []
    named = set(ob["order_id"])
    extra_rows = []
    for o in everyone:
        if o.order_id in named:
            kind[o.order_id] = "blocks"
            continue
        key = o.issued_on.isoformat()
        if key in areas and not o.stated_area_km2:
            geom, how = areas[key]
            kind[o.order_id] = "area"
            area_geom[o.order_id] = geom
            maj = majority_blocks(geom, blocks)
            extra_rows += [{"order_id": o.order_id, "block_id": b, "raw_id": None, "matched_as": "area-majority",
                            "source_name": o.source_name} for b in maj]
            placed.append({"order_id": o.order_id, "issued_on": key, "placed_as": how,
                           "majority_blocks": len(maj)})
        else:
            kind[o.order_id] = "unplaced"
            unplaced.append({"order_id": o.order_id, "issued_on": key, "stated_area_km2": o.stated_area_km2,
                             "why": "names no block and no area geometry is known for its date; kept without "
                                    "geometry, counted in no area metric"})
    if extra_rows:
        ob = pd.concat([ob, pd.DataFrame(extra_rows).astype({"block_id": "Int64"})], ignore_index=True)
    report["area_orders"] = placed
    report["unplaced_orders"] = unplaced

    # duplicates across sources
    sets = order_block_sets(ob)
    prim = {o.order_id: (o.issued_on, sets.get(o.order_id, set())) for o in primary}
    oth = {o.order_id: (o.issued_on, sets.get(o.order_id, set())) for o in others}
    dups = find_duplicates(prim, oth)
    merged_into: dict[str, list[str]] = {}
    for oid, targets in dups.items():
        its_rows = ob["order_id"] == oid
        new_ids = []
        for block_id in ob.loc[its_rows, "block_id"]:
            if pd.notna(block_id):
                holder = [t for t in targets if int(block_id) in prim[t][1]]
            else:
                holder = []
            if not holder:
                holder = [max(targets, key=lambda t: (len(prim[t][1] & oth[oid][1]), t))]
            new_ids.append(holder[0])
        ob.loc[its_rows, "order_id"] = new_ids
        for t in targets:
            merged_into.setdefault(t, []).append(oid)
    ob = ob.drop_duplicates(["order_id", "block_id", "raw_id", "matched_as", "source_name"]).reset_index(drop=True)
    report["merged_duplicates"] = {k: v for k, v in sorted(merged_into.items())}
    report["merged_count"] = len(dups)

    # the orders layer
    by_id = {o.order_id: o for o in everyone}
    keep = [o for o in everyone if o.order_id not in dups]
    bgeo = blocks.set_index("block_id").geometry
    rows: list[dict[str, object]] = []
    repeats = find_repeats(primary)
    report["repeats"] = repeats
    for o in keep:
        mine = ob[(ob["order_id"] == o.order_id) & ob["block_id"].notna()]
        ids = sorted({int(x) for x in mine["block_id"]})
        matched = list(zip(mine["block_id"], mine["raw_id"], mine["matched_as"], strict=True))
        whole = {int(bid) for bid, _, how in matched if how != "sub-block-outline"}
        parts: list[shapely.Geometry] = [bgeo.loc[i] for i in sorted(whole) if kind[o.order_id] != "area"]
        parts += [outlines[block_label(raw)] for bid, raw, how in matched
                  if how == "sub-block-outline" and int(bid) not in whole]
        if o.order_id in area_geom:
            parts.append(area_geom[o.order_id])
        shape = shapely.make_valid(shapely.union_all(parts)) if parts else None
        srcs = [o.source_name] + [by_id[m].source_name for m in merged_into.get(o.order_id, [])]
        urls = [o.source_url] + [by_id[m].source_url for m in merged_into.get(o.order_id, [])]
        rows.append({
            "order_id": o.order_id, "issued_on": o.issued_on, "source_name": o.source_name,
            "source_url": o.source_url, "link": o.link, "stated_area_km2": o.stated_area_km2,
            "destination": o.destination, "sources": "; ".join(dict.fromkeys(srcs)),
            "source_urls": " ".join(dict.fromkeys(u for u in urls if u)),
            "merged_from": ", ".join(merged_into.get(o.order_id, [])) or None,
            "kind": kind[o.order_id], "block_count": len(ids), "geometry": shape,
            "listed_on": o.listed_on if o.listed_on is not None and o.listed_on != o.issued_on else None,
            "posted_at_utc": o.posted_at.strftime("%Y-%m-%dT%H:%M:%SZ") if o.posted_at is not None else None,
            "repeat_of": repeats.get(o.order_id),
            "placed_by": o.ids_source,
            "safe_blocks": ", ".join(o.safe_ids) or None, "safe_block_count": len(o.safe_ids),
        })
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    area = out.geometry.to_crs(AREA_CRS).area / 1e6
    out["area_km2"] = area.where(out.geometry.notna()).fillna(0.0).round(4)
    out = out.sort_values(["issued_on", "order_id"]).reset_index(drop=True)
    ob = ob.sort_values(["order_id", "block_id", "raw_id"], na_position="last").reset_index(drop=True)
    report["orders_total"] = int(len(out))
    report["orders_by_kind"] = {k: int(v) for k, v in out["kind"].value_counts().sort_index().items()}
    return OrdersResult(out, ob, report)


def cross_check(primary: list[RawOrder], order_blocks: pd.DataFrame, blocks: gpd.GeoDataFrame,
                outline_km2: Mapping[str, float] | None = None) -> pd.DataFrame:
    """For each primary order with a stated area > 0: our area of its own matched blocks vs the stated area.

    Our area = sum of the grid's ``area_km2`` (EPSG:32636) over the distinct blocks the source
    itself names; a sub-block counts as its whole parent, or, when ``outline_km2`` gives its outline's
    area, as that outline (unless the order also names the whole parent).
    """
    area = blocks.set_index("block_id")["area_km2"]
    outline_km2 = dict(outline_km2 or {})
    grid = set(area.index)
    rows = []
    for o in primary:
        if not o.stated_area_km2:
            continue
        matched = [(raw, *match_block_id(raw, grid, set(outline_km2))) for raw in o.raw_ids]
        whole = {b for _, b, how in matched if b is not None and how != "sub-block-outline"}
        subs = {block_label(raw) for raw, b, how in matched if how == "sub-block-outline" and b not in whole}
        ours = float(area.reindex(sorted(whole)).sum()) + sum(outline_km2[x] for x in subs)
        rows.append({"order_id": o.order_id, "issued_on": o.issued_on, "stated_km2": o.stated_area_km2,
                     "ours_km2": round(ours, 4), "rel_diff": (ours - o.stated_area_km2) / o.stated_area_km2,
                     "sub_blocks": sum(match_block_id(r, set(area.index))[1] == "parent-of-sub-block"
                                       for r in o.raw_ids),
                     "unknown": sum(match_block_id(r, set(area.index))[1] == "unknown" for r in o.raw_ids)})
    return pd.DataFrame(rows)
