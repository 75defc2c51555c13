"""What an evacuation order touched: area, people, facilities, the humanitarian zone, and what was new.

:func:`impact` is the one function every view and the CLI use. It takes its inputs as arguments (the
metrics index of ``pipeline.runtime.metrics_index``, the ``facilities`` and ``blocks`` layers) and
answers for one order (``order_id=``) or for all orders issued in a period (``start=``, ``end=``).
Areas come from the index's disjoint block pieces (``ix.covered``), so a block named by several
orders of a period is counted once and the 13 Oct 2023 area order counts with its area.
:func:`impact_table` runs :func:`impact` for every order; :func:`what_changed` gives the orders issued
on a date (or in a window ending on it) for the Map page's cards; :func:`table_frame` flattens
results for tables and CSV; :func:`cli` is ``python -m pipeline orders``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import shapely

from pipeline.core.dates import optional_date, to_date, window_start
from pipeline.core.errors import InputError
from pipeline.core.facilities import FACILITY_KINDS, KIND_EN
from pipeline.core.i18n import N_
from pipeline.core.layers import PCODES
from pipeline.runtime.bundle import load_layer
from pipeline.runtime.metrics_index import Index, index
from pipeline.runtime.zones import zone_on

WAR_START = date(2023, 10, 7)
KINDS = tuple(FACILITY_KINDS)
PLACED_KINDS = ("blocks", "area")
NOT_MAPPED = "reported, not mapped"
REPEAT_BELOW, NEW_ABOVE = 0.01, 0.99  # share of an order's area that is new: below -> repeat, above -> new

DEFINITIONS: dict[str, str] = {
    "blocks": N_("Blocks the order names, matched to the IDF grid of 1 Dec 2023 (a sub-block id counts as its whole "
               "parent block; for the 13 Oct 2023 area order, the blocks with most of their area inside it). "
               "Ids the grid lacks are listed as named but not on the grid."),
    "area_km2": N_("Area of the union of the blocks (and areas) named, in km² (EPSG:32636) within the Strip outline; "
                 "for a period each block is counted once however many orders name it. Share = area / area of the "
                 "Strip outline."),
    "population_prewar_est": N_("Pre-war population estimate living in those blocks: sum of blocks.pop_prewar_est "
                              "(a dasymetric estimate from PCBS figures, not a count)."),
    "facilities": N_("Named landmarks inside the order's blocks (or area) by kind, from the facilities layer: "
                   "landmark points of Mohammadbalata/Gaza-Damage-Assessment-Frontend classified by their Arabic "
                   "name (rules: geodata/raw/reference/facility-kinds.csv). The file is one mapping's list, not a "
                   "census: a count is a lower bound. Shelters OCHA counts are mostly schools; here a school is "
                   "'school' and 'shelter' means a place named as a shelter."),
    "zone": N_("Part of the humanitarian zone declared on the order's date (for a period: on its last day; "
             "valid_from <= day < valid_to, a declared version wins over a proposal) that the order's area "
             "covers, in km² and as a share of the zone's area."),
    "destination": N_("Where the source tells people to go, as the source states it; empty when it states none."),
    "new": N_("What the order adds that orders issued earlier had not already covered. Earlier = orders issued "
            "from 7 Oct 2023 (the war's start) to the day before this order's date (for a period: before its "
            "first day); orders of the same day do not count as earlier. New km² = area of (earlier ∪ this) − "
            "area of earlier; new people = pre-war estimate of blocks not counted by earlier orders. Label: "
            "'repeat' when under 1% of the area is new, 'new' when over 99%, else 'partly new'."),
}


@dataclass
class _Base:
    """Arrays prepared once per (index, facilities, blocks): facility positions, zone pieces, block pcodes."""

    fac_ids: np.ndarray
    fac_kind: np.ndarray       # int code into KINDS
    fac_pos: np.ndarray        # position of the facility's block in ix.block_ids, -1 if none
    fac_unit: np.ndarray       # position of the facility's unit (block, or sub-block outline) in ix.unit_geom, -1 if none
    fac_in_area: dict[int, np.ndarray]
    block_pcode: np.ndarray
    zone_unit_km2: dict[str, np.ndarray]
    zone_km2: dict[str, float]
    placed_pos: dict[str, int]
    orders: pd.DataFrame       # ix.orders indexed by order_id, with issued_on as date
    named: dict[str, pd.DataFrame]
    zone_bounds: list[date]
    zone_seg: dict[int, Any]

    def zone_on(self, zones: pd.DataFrame, on: date) -> Any:
        """:func:`zone_on`, asked once per run of days between two valid_from/valid_to days."""
        k = bisect_right(self.zone_bounds, on)
        if k not in self.zone_seg:
            self.zone_seg[k] = zone_on(zones, on)
        return self.zone_seg[k]


_CACHE: list[tuple[tuple[Any, Any, Any], _Base]] = []


def _base(ix: Index, facilities: pd.DataFrame, blocks: pd.DataFrame) -> _Base:
    for (a, b, c), base in _CACHE:
        if a is ix and b is facilities and c is blocks:
            return base
    pos = {int(b): i for i, b in enumerate(ix.block_ids)}
    fb = pd.to_numeric(facilities["block_id"], errors="coerce")
    fac_pos = np.array([pos.get(int(b), -1) if b == b else -1 for b in fb], dtype=np.int64)
    code = {k: i for i, k in enumerate(KINDS)}
    fac_kind = facilities["kind"].map(code).fillna(code["other"]).to_numpy(dtype=np.int64)
    fac_in_area: dict[int, np.ndarray] = {}
    if ix.area_of:
        # A point inside an area order's (clipped) area counts; a point outside the Strip outline (a beach
        # landmark: its block piece, clipped to the outline, does not hold it) counts by its block instead.
        pts = np.asarray(facilities.geometry.to_crs("EPSG:32636").values)
        has = fac_pos >= 0
        off = has.copy()
        off[has] = ~shapely.covers(ix.block_geom[fac_pos[has]], pts[has])
        for i, g in ix.area_of.items():
            inside = shapely.covers(g, pts)
            inside[off] |= ix.member[i, fac_pos[off]]
            fac_in_area[i] = inside
    bp = blocks.set_index("block_id")["pcode"]
    block_pcode = np.array([bp.get(int(b)) for b in ix.block_ids], dtype=object)
    zone_unit = {z: shapely.area(shapely.intersection(ix.unit_geom, g)) / 1e6 for z, g in ix.zone_geom.items()}
    fac_unit = _facility_units(ix, facilities, fac_pos)
    orders = ix.orders.copy()
    orders["issued_on"] = pd.to_datetime(orders["issued_on"]).dt.date
    orders.index = pd.Index(orders["order_id"].astype(str).to_numpy())
    named = {str(o): g for o, g in ix.order_blocks.groupby("order_id")}
    base = _Base(fac_ids=facilities["facility_id"].to_numpy(), fac_kind=fac_kind, fac_pos=fac_pos,
                 fac_in_area=fac_in_area, block_pcode=block_pcode, zone_unit_km2=zone_unit, fac_unit=fac_unit,
                 zone_km2={z: float(shapely.area(g) / 1e6) for z, g in ix.zone_geom.items()},
                 placed_pos={str(o): i for i, o in enumerate(ix.order_ids)}, orders=orders, named=named,
                 zone_bounds=sorted({b for c in ("valid_from", "valid_to") for b in map(optional_date, ix.zones[c])
                                     if b is not None}), zone_seg={})
    _CACHE.insert(0, ((ix, facilities, blocks), base))
    del _CACHE[4:]
    return base


def _py(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, np.generic):
        return _py(v.item())
    if isinstance(v, (date, pd.Timestamp)):
        return v.isoformat()[:10]
    return v


def _facility_units(ix: Index, facilities: pd.DataFrame, fac_pos: np.ndarray) -> np.ndarray:
    """The unit of each facility: its block's only unit, or (a block split into sub-block outlines) the unit that
    holds the point, else the nearest of the block's units (a point on the beach, past the clipped outline)."""
    units_of: dict[int, list[int]] = {}
    for u, b in enumerate(ix.unit_block):
        units_of.setdefault(int(b), []).append(u)
    out = np.full(len(fac_pos), -1, dtype=np.int64)
    pts = np.asarray(facilities.geometry.to_crs("EPSG:32636").values)
    for i, b in enumerate(fac_pos):
        us = units_of.get(int(b), []) if b >= 0 else []
        if len(us) == 1:
            out[i] = us[0]
        elif us:
            d = shapely.distance(ix.unit_geom[us], pts[i])
            out[i] = us[int(np.argmin(d))]
    return out


def _fac_mask(ix: Index, base: _Base, sel: np.ndarray) -> np.ndarray:
    umask = ix.umember_geom[sel].any(axis=0) if sel.any() else np.zeros(len(ix.unit_geom), bool)
    inside: np.ndarray = (base.fac_unit >= 0) & umask[np.maximum(base.fac_unit, 0)]
    for i in np.flatnonzero(sel):
        if int(i) in base.fac_in_area:
            inside |= base.fac_in_area[int(i)]
    return inside


def _zone(ix: Index, base: _Base, sel: np.ndarray, on: date) -> dict[str, Any]:
    z = base.zone_on(ix.zones, on)
    if z is None:
        return {"zone_id": None, "kind": None, "name": None, "on": on.isoformat(), "zone_km2": None,
                "taken_km2": None, "share_of_zone": None, "source": None}
    zid = z["zone_id"]
    umask = ix.umember_geom[sel].any(axis=0) if sel.any() else np.zeros(len(ix.unit_geom), bool)
    areas = [ix.area_of[int(i)] for i in np.flatnonzero(sel) if int(i) in ix.area_of]
    if areas:
        u = shapely.union_all(areas + list(ix.unit_geom[umask]))
        taken = float(shapely.intersection(u, ix.zone_geom[zid]).area / 1e6)
    else:
        taken = float(base.zone_unit_km2[zid][umask].sum())
    zkm2 = base.zone_km2[zid]
    return {"zone_id": zid, "kind": z["kind"], "name": z["name"], "on": on.isoformat(), "zone_km2": round(zkm2, 3),
            "taken_km2": round(taken, 3), "share_of_zone": round(min(taken / zkm2, 1.0), 4) if zkm2 else None,
            "source": z["source"]}


def _by_kind(base: _Base, mask: np.ndarray) -> dict[str, int]:
    counts = np.bincount(base.fac_kind[mask], minlength=len(KINDS))
    return {k: int(counts[i]) for i, k in enumerate(KINDS)}


def _figures(ix: Index, base: _Base, sel: np.ndarray, first_day: date, zone_day: date) -> dict[str, Any]:
    km2, mask = ix.covered(sel)
    fmask = _fac_mask(ix, base, sel)
    d = ix.order_dates
    earlier = (d >= np.datetime64(WAR_START)) & (d < np.datetime64(first_day)) & ~sel
    e_km2, e_mask = ix.covered(earlier)
    u_km2, _ = ix.covered(earlier | sel)
    e_fac = _fac_mask(ix, base, earlier)
    new_km2 = max(u_km2 - e_km2, 0.0)
    share_new = new_km2 / km2 if km2 else 0.0
    label = "repeat" if share_new < REPEAT_BELOW else "new" if share_new > NEW_ABOVE else "partly new"
    pcodes = sorted({p for p in base.block_pcode[mask] if p})
    return {
        "blocks": {"count": int(mask.sum()), "block_ids": [int(b) for b in ix.block_ids[mask]]},
        "governorates": [{"pcode": p, "name": PCODES.get(p, p)} for p in pcodes],
        "area_km2": round(km2, 3),
        "share_of_strip": round(min(km2 / ix.strip_area, 1.0), 4),
        "population_prewar_est": int(ix.block_pop[mask].sum()),
        "facilities": {"total": int(fmask.sum()), "by_kind": _by_kind(base, fmask),
                       "facility_ids": base.fac_ids[fmask].tolist()},
        "zone": _zone(ix, base, sel, zone_day),
        "new": {"area_km2": round(new_km2, 3), "share_of_area": round(share_new, 4),
                "population_prewar_est": int(ix.block_pop[mask & ~e_mask].sum()),
                "facilities": int((fmask & ~e_fac).sum()), "label": label,
                "earlier_from": WAR_START.isoformat(), "earlier_to": (first_day - timedelta(days=1)).isoformat()},
    }


def _empty_figures(on: date) -> dict[str, Any]:
    return {"blocks": {"count": None, "block_ids": []}, "governorates": [], "area_km2": None, "share_of_strip": None,
            "population_prewar_est": None, "facilities": {"total": None, "by_kind": {k: None for k in KINDS},
                                                          "facility_ids": []},
            "zone": {"zone_id": None, "kind": None, "name": None, "on": on.isoformat(), "zone_km2": None,
                     "taken_km2": None, "share_of_zone": None, "source": None},
            "new": {"area_km2": None, "share_of_area": None, "population_prewar_est": None, "facilities": None,
                    "label": None, "earlier_from": WAR_START.isoformat(),
                    "earlier_to": (on - timedelta(days=1)).isoformat()}}


def _split(v: Any) -> list[str]:
    return [s.strip() for s in str(v).split(";") if s.strip()] if _py(v) is not None else []


def _one(ix: Index, base: _Base, order_id: str) -> dict[str, Any]:
    if order_id not in base.orders.index:
        raise InputError(f"no order with id {order_id!r}", field="order_id",
                         fix="list the ids with `python -m pipeline orders`")
    o = base.orders.loc[order_id]
    on = o["issued_on"]
    if not isinstance(on, date):  # one row per order id, its issue date (NaT is a date too)
        raise ValueError(f"order {order_id!r}: issued_on is {on!r}, not one date")
    p = base.placed_pos.get(order_id)
    mapped = p is not None and o["kind"] in PLACED_KINDS
    if mapped:
        sel = np.zeros(len(ix.order_ids), bool)
        sel[p] = True
        fig = _figures(ix, base, sel, on, on)
    else:
        fig = _empty_figures(on)
    nb = base.named.get(order_id, ix.order_blocks.iloc[:0])
    not_on_grid = sorted({str(r) for r in nb.loc[nb["block_id"].isna(), "raw_id"].dropna()})
    fig["blocks"]["named_not_on_grid"] = not_on_grid
    fig["blocks"]["matched_as"] = {str(k): int(v) for k, v in nb["matched_as"].value_counts().sort_index().items()}
    if not mapped:
        fig["blocks"]["named_block_ids"] = sorted({int(b) for b in nb["block_id"].dropna()})
    dest = _py(o.get("destination"))
    return {
        "scope": "order", "order_id": order_id, "issued_on": on.isoformat(), "kind": o["kind"],
        "mapped": bool(mapped), "status": "mapped" if mapped else NOT_MAPPED,
        "source_name": o["source_name"], "source_url": _py(o.get("source_url")), "link": _py(o.get("link")),
        "sources": _split(o.get("sources")), "source_urls": str(_py(o.get("source_urls")) or "").split(),
        "stated_area_km2": _py(o.get("stated_area_km2")),
        **fig,
        "destination": {"stated": dest is not None, "text": [] if dest is None else [str(dest)]},
        "definitions": DEFINITIONS,
    }


def _period(ix: Index, base: _Base, start: date, end: date) -> dict[str, Any]:
    d = ix.order_dates
    sel = (d >= np.datetime64(start)) & (d <= np.datetime64(end))
    issued = base.orders["issued_on"]
    in_period = base.orders[(issued >= start) & (issued <= end)].sort_values(["issued_on", "order_id"])
    mapped_ids = set(ix.order_ids[sel].tolist())
    fig = _figures(ix, base, sel, start, end)
    dest = sorted({str(v) for v in in_period["destination"] if _py(v) is not None})
    srcs = sorted({s for v in in_period["sources"] for s in _split(v)})
    return {
        "scope": "period", "from": start.isoformat(), "to": end.isoformat(),
        "order_ids": in_period["order_id"].tolist(),
        "mapped_order_ids": [o for o in in_period["order_id"] if o in mapped_ids],
        "not_mapped_order_ids": [o for o in in_period["order_id"] if o not in mapped_ids],
        "sources": srcs, **fig,
        "destination": {"stated": bool(dest), "text": dest},
        "definitions": DEFINITIONS,
    }


def impact(ix: Index, facilities: pd.DataFrame, blocks: pd.DataFrame, *, order_id: str | None = None,
           start: date | str | None = None, end: date | str | None = None) -> dict[str, Any]:
    """The impact of one order (``order_id``) or of all orders issued in [``start``, ``end``].

    ``facilities`` is the facilities layer (a GeoDataFrame), ``blocks`` the blocks layer (``block_id``,
    ``pcode``). Shape (both scopes; a period has ``from``/``to``/``order_ids``/``mapped_order_ids``/
    ``not_mapped_order_ids`` instead of the order's own fields)::

        {"scope", "order_id", "issued_on", "kind", "mapped", "status", "source_name", "source_url", "link",
         "sources", "source_urls", "stated_area_km2",
         "blocks": {"count", "block_ids", "named_not_on_grid", "matched_as"},
         "governorates": [{"pcode", "name"}], "area_km2", "share_of_strip", "population_prewar_est",
         "facilities": {"total", "by_kind": {kind: n}, "facility_ids"},
         "zone": {"zone_id", "kind", "name", "on", "zone_km2", "taken_km2", "share_of_zone", "source"},
         "new": {"area_km2", "share_of_area", "population_prewar_est", "facilities", "label",
                 "earlier_from", "earlier_to"},
         "destination": {"stated", "text"}, "definitions": {...}}

    An order no source maps (kind ``unplaced`` or ``reported, not mapped``) has ``mapped`` False and
    null figures: no data is not zero.
    """
    base = _base(ix, facilities, blocks)
    if order_id is not None:
        if start is not None or end is not None:
            raise InputError("give either an order id or a period, not both", field="order_id")
        return _one(ix, base, str(order_id))
    if start is None or end is None:
        raise InputError("give an order id, or both ends of a period", field="start")
    d0, d1 = to_date(start, "from"), to_date(end, "to")
    if d0 > d1:
        raise InputError(f"from ({d0}) is after to ({d1})", field="from")
    return _period(ix, base, d0, d1)


def order_ids_between(ix: Index, start: date | str | None = None, end: date | str | None = None) -> list[str]:
    """Ids of all orders (mapped or not) issued in [start, end] (open ends allowed), by date then id."""
    o = ix.orders[["order_id", "issued_on"]].copy()
    o["issued_on"] = pd.to_datetime(o["issued_on"]).dt.date
    if start is not None:
        o = o[o["issued_on"] >= to_date(start, "from")]
    if end is not None:
        o = o[o["issued_on"] <= to_date(end, "to")]
    return o.sort_values(["issued_on", "order_id"])["order_id"].tolist()


def impact_table(ix: Index, facilities: pd.DataFrame, blocks: pd.DataFrame, *, start: date | str | None = None,
                 end: date | str | None = None) -> list[dict[str, Any]]:
    """:func:`impact` for every order issued in [start, end] (all orders by default), by date."""
    return [impact(ix, facilities, blocks, order_id=o) for o in order_ids_between(ix, start, end)]


def what_changed(ix: Index, facilities: pd.DataFrame, blocks: pd.DataFrame, on: date | str,
                 window: int = 1) -> list[dict[str, Any]]:
    """The orders issued in the ``window`` days ending on ``on`` (1 = that day), for the Map page's cards."""
    d = to_date(on, "on")
    if window < 1:
        raise InputError(f"window must be at least 1 day, got {window}", field="window")
    return impact_table(ix, facilities, blocks, start=window_start(d, window), end=d)


TABLE_COLUMNS = (["scope", "order_id", "issued_on", "status", "label", "source_name", "source_url", "link",
                  "governorates", "blocks", "area_km2", "share_of_strip", "population_prewar_est",
                  "facilities_total"] + [f"facilities_{k}" for k in KINDS]
                 + ["new_area_km2", "new_population_prewar_est", "new_facilities", "zone_id", "zone_taken_km2",
                    "zone_share", "destination", "block_ids"])


def _row(r: dict[str, Any]) -> dict[str, Any]:
    by = r["facilities"]["by_kind"]
    return {
        "scope": r["scope"], "order_id": r.get("order_id", f"{r.get('from')}..{r.get('to')}"),
        "issued_on": r.get("issued_on", r.get("from")), "status": r.get("status", "period"),
        "label": r["new"]["label"], "source_name": r.get("source_name", "; ".join(r.get("sources", []))),
        "source_url": r.get("source_url"), "link": r.get("link"),
        "governorates": "; ".join(g["name"] for g in r["governorates"]),
        "blocks": r["blocks"]["count"], "area_km2": r["area_km2"], "share_of_strip": r["share_of_strip"],
        "population_prewar_est": r["population_prewar_est"], "facilities_total": r["facilities"]["total"],
        **{f"facilities_{k}": by[k] for k in KINDS},
        "new_area_km2": r["new"]["area_km2"], "new_population_prewar_est": r["new"]["population_prewar_est"],
        "new_facilities": r["new"]["facilities"], "zone_id": r["zone"]["zone_id"],
        "zone_taken_km2": r["zone"]["taken_km2"], "zone_share": r["zone"]["share_of_zone"],
        "destination": "; ".join(r["destination"]["text"]),
        "block_ids": " ".join(str(b) for b in r["blocks"]["block_ids"]),
    }


def table_frame(results: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per result (orders and periods), columns :data:`TABLE_COLUMNS` (for tables and CSV)."""
    return pd.DataFrame([_row(r) for r in results], columns=TABLE_COLUMNS)


def report(ix: Index, facilities: pd.DataFrame, blocks: pd.DataFrame, *, start: date | str | None = None,
           end: date | str | None = None) -> dict[str, Any]:
    """``{"from", "to", "period": impact over the period, "orders": [impact of each order]}`` (the CLI's JSON)."""
    ids = order_ids_between(ix, start, end)
    dates = pd.to_datetime(ix.orders["issued_on"]).dt.date
    d0 = to_date(start, "from") if start is not None else min(dates)
    d1 = to_date(end, "to") if end is not None else max(dates)
    return {"from": d0.isoformat(), "to": d1.isoformat(),
            "facility_kinds": {k: {"label": KIND_EN[k], "covers": FACILITY_KINDS[k][1]} for k in KINDS},
            "period": impact(ix, facilities, blocks, start=d0, end=d1),
            "orders": [impact(ix, facilities, blocks, order_id=o) for o in ids]}


def cli(args: argparse.Namespace) -> int:
    """``python -m pipeline orders [--from D] [--to D] [--format json|csv]``."""
    out = report(index(), load_layer("facilities"), load_layer("blocks"), start=args.date_from, end=args.date_to)
    if args.format == "csv":
        buf = io.StringIO()
        table_frame(out["orders"] + [out["period"]]).to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL)
        print(buf.getvalue(), end="")
    else:
        print(json.dumps(out, indent=2, ensure_ascii=False, default=_py))
    return 0
