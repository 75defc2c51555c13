"""The figures the dashboard quotes, each with its definition and sources.

``compute(on, since=None, window=7)`` returns a dict of stable shape (see
:func:`compute`); ``block_status`` and ``block_history`` answer per-block questions;
``share_series`` gives the daily "area under orders" series.  ``python -m pipeline
metrics --on D [--since D] [--window N]`` prints ``compute`` as JSON.

Speed: everything geometric is prepared once per bundle (:func:`index`): the blocks
are clipped to the Strip outline and made disjoint, so the area of any set of blocks
is a sum; an order x block matrix answers "which blocks were named in [since, on]";
area orders (the 13 Oct 2023 north order) add their clipped area plus the area of
selected blocks outside it (cached per set of active areas).  The result equals the
area of the geometric union (a test and ``bench/bench_metrics.py`` check this).
"""

from __future__ import annotations

import argparse
import json
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
import threading
from functools import lru_cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import settings
from .bundle import bundle_dir, load_layer, load_manifest
from .dates import DateParseError, parse_date
from .errors import InputError
from .layers import AREA_CRS, PCODES
from .sources.zones import _as_date, zone_on

SOUTH = ("PS0265", "PS0270", "PS0275")  # south of Wadi Gaza: Deir al-Balah, Khan Younis, Rafah
SERIES_MAX_GAP_DAYS = 7

DEF_ORDERS = ("Area under evacuation orders: the union of the blocks and areas named by orders issued on or after "
              "`since` and on or before `on` (each block counted once however many orders name it), in km² "
              "(EPSG:32636) within the Strip outline, and as a share of the Strip outline's area. A sub-block id "
              "counts as its whole parent block. An area order (13 Oct 2023, north of Wadi Gaza) counts with its "
              "area; its block count and population use the blocks whose majority lies in the area. Orders with no "
              "block and no known area are listed but not counted.")
DEF_RECENT = ("The same for orders issued in the last `window` days up to `on` (and not before `since`).")
DEF_POP = ("Pre-war population estimate living in those blocks: the sum of blocks.pop_prewar_est (a dasymetric "
           "estimate, not a count).")
DEF_ZONE = ("The humanitarian zone declared on `on`: valid_from <= on < valid_to; a dated declared version wins over "
            "a proposal; the latest declared wins.")
DEF_STRIKES = ("Geolocated incidents dated within the window [on - window + 1, on]: count, deaths the datasets report "
               "for their own category (sum over events that report a figure), by governorate and by block, and how "
               "many lay inside the humanitarian zone declared on the event's date. Incident datasets are samples "
               "(aid workers, health care, education, protection, Jabalia attacks), not all strikes.")
DEF_SHARES = ("Share of the population by governorate on `on`: from the advertising-audience estimate (adults 18+) "
              "when it has a figure within {gap} days before `on`, else the pre-war baseline (governorates.pop_prewar). "
              "'basis' says which. The scenario's attributed claim is shown beside it, never merged.")
DEF_KILLED = "Cumulative people killed in Gaza since 7 Oct 2023 as reported on or before `on` (latest report)."
DEF_INJURED = "Cumulative people injured in Gaza since 7 Oct 2023 as reported on or before `on` (latest report)."
DEF_TRUCKS = "Aid trucks that entered Gaza on `on` (daily file, Oct 2023 - Jan 2024); null where the file has no figure."
DEF_TRUCKS_MONTH = "Aid trucks that entered Gaza in the calendar month of `on`, as published by COGAT."
DEF_TRUCKS_CUM = "Aid trucks that entered Gaza from 7 Oct 2023 to `on` (sum of the daily file; only while it covers `on`)."


def _d(value: date | str | pd.Timestamp | None, what: str = "date") -> date:
    try:
        return parse_date(value)
    except DateParseError as exc:
        raise InputError(f"{what} {value!r} is not a date ({exc})", field=what,
                         fix="write it as YYYY-MM-DD") from exc


def _py(v: Any) -> Any:
    """numpy/pandas scalars -> plain Python (JSON-friendly)."""
    if v is None:
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if v is pd.NA or v is pd.NaT:
        return None
    return v


@dataclass
class Index:
    """Everything ``compute`` needs, prepared once per bundle."""

    block_ids: np.ndarray
    block_pop: np.ndarray
    block_area: np.ndarray          # km², clipped to the Strip, disjoint pieces
    block_geom: np.ndarray          # the disjoint pieces (EPSG:32636)
    strip_area: float
    order_ids: np.ndarray           # placed orders (kind blocks/area)
    order_dates: np.ndarray         # datetime64[D]
    member: np.ndarray              # bool (orders x blocks): blocks counted (incl. area-majority blocks)
    member_geom: np.ndarray         # bool (orders x blocks): blocks whose geometry counts (area orders: none)
    area_of: dict[int, shapely.Geometry]  # order position -> clipped area geometry (EPSG:32636)
    orders: pd.DataFrame            # all orders (incl. unplaced), no geometry
    order_blocks: pd.DataFrame
    zones: pd.DataFrame
    zone_geom: dict[str, shapely.Geometry]
    events: pd.DataFrame            # with _zone and _inside
    series: pd.DataFrame
    governorates: pd.DataFrame
    claims: pd.DataFrame
    _area_cache: dict[frozenset, tuple[float, np.ndarray]] = field(default_factory=dict)
    _metric_cache: dict[str, pd.DataFrame] = field(default_factory=dict)

    def metric_rows(self, metric: str) -> pd.DataFrame:
        """The rows of ``series`` for ``metric`` (original order and index; cached, read-only)."""
        if metric not in self._metric_cache:
            self._metric_cache[metric] = self.series[(self.series["metric"] == metric).to_numpy()]
        return self._metric_cache[metric]

    def area_terms(self, active: frozenset) -> tuple[float, np.ndarray]:
        """(km² of the union of the active area orders, per-block km² outside that union)."""
        if active not in self._area_cache:
            if not active:
                self._area_cache[active] = (0.0, self.block_area)
            else:
                u = shapely.union_all([self.area_of[i] for i in sorted(active)])
                outside = shapely.area(shapely.difference(self.block_geom, u)) / 1e6
                self._area_cache[active] = (u.area / 1e6, outside)
        return self._area_cache[active]

    def covered(self, sel: np.ndarray) -> tuple[float, np.ndarray]:
        """(km², block mask) for the placed orders selected by the boolean ``sel``.

        The area is the union of the selected orders' geometry (blocks named, plus areas);
        the mask is the blocks counted (blocks named, plus the majority blocks of areas).
        """
        if not sel.any():
            return 0.0, np.zeros(len(self.block_ids), bool)
        mask = self.member[sel].any(axis=0)
        gmask = self.member_geom[sel].any(axis=0)
        active = frozenset(int(i) for i in np.flatnonzero(sel) if int(i) in self.area_of)
        a_area, outside = self.area_terms(active)
        return a_area + float(outside[gmask].sum()), mask


def _disjoint_pieces(bg: np.ndarray) -> np.ndarray:
    """Each geometry minus the union of the earlier ones that overlap it (one bulk STRtree query)."""
    pieces = bg.copy()
    if len(bg) < 2:
        return pieces
    left, right = shapely.STRtree(bg).query(bg, predicate="intersects")
    keep = right < left                      # order within each input is the tree's, as a single query gives
    left, right = left[keep], right[keep]
    if not len(left):
        return pieces
    idx, starts = np.unique(left, return_index=True)
    unions = np.empty(len(idx), dtype=object)
    unions[:] = [shapely.union_all(bg[g]) for g in np.split(right, starts[1:])]
    changed = shapely.area(shapely.intersection(bg[idx], unions)) > 0
    if changed.any():
        i = idx[changed]
        pieces[i] = shapely.make_valid(shapely.difference(bg[i], unions[changed]))
    return pieces


def _zone_per_event(zones: pd.DataFrame, zone_geom: dict[str, shapely.Geometry], ev_dates: pd.Series,
                    points: np.ndarray) -> tuple[list[str | None], np.ndarray]:
    """(zone_id declared on each event's date or None, event point covered by that zone).

    The declared zone only changes on a ``valid_from``/``valid_to`` day, so :func:`zone_on` is asked once per
    run of event dates between two such days; the point-in-zone test runs once per zone on all its events.
    """
    bounds = sorted({b for col in ("valid_from", "valid_to") for b in map(_as_date, zones[col]) if b is not None})
    seg: dict[int, str | None] = {}
    zid: list[str | None] = []
    for d in ev_dates:
        k = bisect_right(bounds, d)
        if k not in seg:
            z = zone_on(zones, d)
            seg[k] = None if z is None else z["zone_id"]
        zid.append(seg[k])
    zarr = np.array(zid, dtype=object)
    inside = np.zeros(len(zid), dtype=bool)
    for z in {z for z in zid if z is not None}:
        m = zarr == z
        inside[m] = shapely.covers(zone_geom[z], points[m])
    return zid, inside


def build_index(path: str | None = None) -> Index:
    """Prepare the bundle's layers for fast queries."""
    blocks = load_layer("blocks", path).sort_values("block_id").reset_index(drop=True)
    strip = load_layer("strip", path)
    outline = strip.to_crs(AREA_CRS).union_all()
    bg = np.asarray(blocks.to_crs(AREA_CRS).geometry.values)
    bg = shapely.make_valid(shapely.intersection(bg, outline))
    pieces = _disjoint_pieces(bg)
    block_ids = blocks["block_id"].to_numpy(dtype=np.int64)
    pos = {int(b): i for i, b in enumerate(block_ids)}

    orders = load_layer("orders", path)
    placed = orders[orders["kind"].isin(["blocks", "area"])].sort_values(["issued_on", "order_id"]).reset_index(drop=True)
    ob = load_layer("order_blocks", path)
    member = np.zeros((len(placed), len(block_ids)), dtype=bool)
    opos = {o: i for i, o in enumerate(placed["order_id"])}
    m = ob.dropna(subset=["block_id"])
    m = m[m["order_id"].isin(opos)]
    member[m["order_id"].map(opos).to_numpy(), m["block_id"].astype(int).map(pos).to_numpy()] = True
    member_geom = np.zeros_like(member)
    g = m[m["matched_as"] != "area-majority"]
    member_geom[g["order_id"].map(opos).to_numpy(), g["block_id"].astype(int).map(pos).to_numpy()] = True
    area_rows = placed.index[(placed["kind"] == "area").to_numpy()]
    area_of = {}
    if len(area_rows):
        ag = gpd.GeoSeries(placed.geometry.loc[area_rows].to_numpy(), crs=orders.crs).to_crs(AREA_CRS)
        area_of = dict(zip((int(i) for i in area_rows),
                           shapely.make_valid(shapely.intersection(np.asarray(ag.values), outline))))

    zones = load_layer("zones", path)
    zone_geom = dict(zip(zones["zone_id"], zones.to_crs(AREA_CRS).geometry))
    zones = pd.DataFrame(zones.drop(columns="geometry"))
    events = load_layer("events", path)
    ev_dates = pd.to_datetime(events["date"]).dt.date
    zid, inside = _zone_per_event(zones, zone_geom, ev_dates, np.asarray(events.to_crs(AREA_CRS).geometry.values))
    events = pd.DataFrame(events.drop(columns="geometry"))
    events["date"] = ev_dates
    events["_zone"] = zid
    events["_inside"] = inside
    series = load_layer("series", path)
    series["date"] = pd.to_datetime(series["date"]).dt.date
    claims = load_layer("claims", path)
    claims["date"] = pd.to_datetime(claims["date"]).dt.date
    return Index(
        block_ids=block_ids, block_pop=blocks["pop_prewar_est"].to_numpy(dtype=np.int64),
        block_area=shapely.area(pieces) / 1e6, block_geom=pieces, strip_area=float(outline.area / 1e6),
        order_ids=placed["order_id"].to_numpy(),
        order_dates=pd.to_datetime(placed["issued_on"]).to_numpy().astype("datetime64[D]"),
        member=member, member_geom=member_geom, area_of=area_of, orders=pd.DataFrame(orders.drop(columns="geometry")), order_blocks=ob,
        zones=zones, zone_geom=zone_geom, events=events, series=series,
        governorates=pd.DataFrame(load_layer("governorates", path).drop(columns="geometry")), claims=claims,
    )


@lru_cache(maxsize=4)
def _index(path: str, built_at: str) -> Index:
    return build_index(path)


_INDEX_LOCK = threading.Lock()


def index(path: str | None = None) -> Index:
    """The prepared index for the bundle (cached; rebuilt when the bundle is rebuilt).

    Thread-safe: a caller arriving while another thread builds the index waits for it instead of
    building it a second time (the dashboard warms it in the background).
    """
    p = str(bundle_dir(path))
    with _INDEX_LOCK:
        return _index(p, str(load_manifest(p).get("built_at")))


WAR_START = date(2023, 10, 7)


def _default_since(on: date) -> date:
    """The grid's publication (setting ``grid_published_on``); for earlier dates, 7 Oct 2023."""
    grid = _d(settings.get("grid_published_on"), "since")
    return grid if on >= grid else WAR_START


def _sources(ix: Index, order_ids: list[str]) -> list[str]:
    o = ix.orders[ix.orders["order_id"].isin(order_ids)]
    return sorted({s.strip() for v in o["sources"] for s in str(v).split(";") if s.strip()})


def _orders_block(ix: Index, start: date, end: date) -> dict[str, Any]:
    d = ix.order_dates
    sel = (d >= np.datetime64(start)) & (d <= np.datetime64(end))
    km2, mask = ix.covered(sel)
    ids = sorted(ix.order_ids[sel].tolist())
    issued = pd.to_datetime(ix.orders["issued_on"]).dt.date
    all_ids = sorted(ix.orders.loc[(issued >= start) & (issued <= end), "order_id"].tolist())
    return {
        "area_km2": round(km2, 3),
        "share_of_strip": round(min(km2 / ix.strip_area, 1.0), 4),
        "blocks": int(mask.sum()),
        "population_prewar_est": int(ix.block_pop[mask].sum()),
        "block_ids": [int(b) for b in ix.block_ids[mask]],
        "order_ids": all_ids,
        "unplaced_order_ids": sorted(set(all_ids) - set(ids)),
        "sources": _sources(ix, all_ids),
        "from": start.isoformat(), "to": end.isoformat(),
    }


def _zone(ix: Index, on: date) -> dict[str, Any]:
    z = zone_on(ix.zones, on)
    src = ["TentNetFA (realgoodresearch) humanitarian zone versions", "bothness/gaza-geojson (Al-Mawasi proposal)"]
    if z is None:
        return {"zone_id": None, "kind": None, "name": None, "area_km2": None, "valid_from": None, "valid_to": None,
                "definition": DEF_ZONE, "sources": src}
    return {"zone_id": z["zone_id"], "kind": z["kind"], "name": z["name"], "area_km2": _py(z["area_km2"]),
            "valid_from": _py(z["valid_from"]), "valid_to": _py(z["valid_to"]), "definition": DEF_ZONE,
            "sources": [z["source"]]}


def _strikes(ix: Index, on: date, window: int) -> dict[str, Any]:
    start = on - timedelta(days=window - 1)
    e = ix.events[(ix.events["date"] >= start) & (ix.events["date"] <= on)]
    fat = pd.to_numeric(e["fatalities"], errors="coerce")
    by_gov = {}
    for pcode, g in e.groupby("pcode"):
        f = pd.to_numeric(g["fatalities"], errors="coerce")
        by_gov[pcode] = {"name": PCODES.get(pcode, pcode), "count": int(len(g)), "fatalities": int(f.sum())}
    by_block = {str(int(b)): int(n) for b, n in e.dropna(subset=["block_id"]).groupby("block_id").size().items()}
    return {
        "count": int(len(e)), "fatalities": int(fat.sum()), "events_reporting_fatalities": int(fat.notna().sum()),
        "by_governorate": by_gov, "by_block": by_block, "inside_zone": int(e["_inside"].sum()),
        "by_dataset": {k: int(v) for k, v in e["dataset"].value_counts().sort_index().items()},
        "from": start.isoformat(), "to": on.isoformat(),
        "definition": DEF_STRIKES, "sources": sorted(set(e["source"])) or sorted(set(ix.events["source"])),
    }


def _latest(ix: Index, metric: str, on: date, *, exact: bool = False) -> pd.Series | None:
    s = ix.metric_rows(metric)
    s = s[s["pcode"].isna()]
    s = s[s["date"] == on] if exact else s[s["date"] <= on]
    return None if s.empty else s.sort_values("date").iloc[-1]


def _value(row: pd.Series | None, definition: str, unit: str) -> dict[str, Any]:
    if row is None:
        return {"value": None, "as_of": None, "unit": unit, "source": None, "filled": None, "definition": definition}
    return {"value": _py(row["value"]), "as_of": _py(row["date"]), "unit": row["unit"], "source": row["source"],
            "filled": bool(row["filled"]), "definition": definition}


def _series(ix: Index, on: date) -> dict[str, Any]:
    out = {
        "killed_cumulative": _value(_latest(ix, "killed_cum", on), DEF_KILLED, "people"),
        "injured_cumulative": _value(_latest(ix, "injured_cum", on), DEF_INJURED, "people"),
        "aid_trucks": _value(_latest(ix, "aid_trucks_daily", on, exact=True), DEF_TRUCKS, "trucks per day"),
    }
    month = _latest(ix, "aid_trucks_monthly", on)
    if month is not None and (month["date"].year, month["date"].month) != (on.year, on.month):
        month = None
    out["aid_trucks_month"] = _value(month, DEF_TRUCKS_MONTH, "trucks per month")
    daily = ix.metric_rows("aid_trucks_daily")
    if not daily.empty and daily["date"].min() <= on <= daily["date"].max():
        part = daily[daily["date"] <= on]
        out["aid_trucks_cumulative"] = {"value": float(part["value"].sum()), "as_of": on.isoformat(),
                                        "unit": "trucks", "source": part["source"].iloc[0], "filled": False,
                                        "definition": DEF_TRUCKS_CUM}
    else:
        out["aid_trucks_cumulative"] = _value(None, DEF_TRUCKS_CUM, "trucks")
    return out


def _shares(ix: Index, on: date) -> dict[str, Any]:
    pop = ix.metric_rows("population_adults_est")
    pop = pop[pop["date"] <= on]
    gov = ix.governorates.set_index("pcode")
    recent = pop[pop["date"] >= on - timedelta(days=SERIES_MAX_GAP_DAYS)]
    if not recent.empty:
        as_of = recent["date"].max()
        day = recent[recent["date"] == as_of].set_index("pcode")
        vals, flags = day["value"], day["flag"]
        basis, unit = "series", "adults (18+)"
        sources = sorted(set(day["source"]))
        method = day["method"].iloc[0]
    else:
        as_of, vals, flags = None, gov["pop_prewar"].astype(float), pd.Series(None, index=gov.index, dtype=object)
        basis, unit = "prewar", "people"
        sources = sorted(set(gov["pop_prewar_source"]))
        method = "pre-war baseline (governorates.pop_prewar)"
    total = float(vals.sum())
    by = {p: {"name": PCODES.get(p, p), "value": round(float(vals.get(p, 0.0))),
              "share": round(float(vals.get(p, 0.0)) / total, 4) if total else None,
              "flag": _py(flags.get(p)) if p in flags.index else None} for p in sorted(PCODES)}
    south = sum(float(vals.get(p, 0.0)) for p in SOUTH)
    c = ix.claims[(ix.claims["date"] <= on) & ix.claims["unit"].fillna("").str.startswith("percent")
                  & ix.claims["claim"].str.contains("south", case=False)]
    claim = None
    if not c.empty:
        r = c.sort_values("date").iloc[-1]
        claim = {"date": _py(r["date"]), "claim": r["claim"], "figure": _py(r["figure"]), "unit": r["unit"],
                 "share_south": _py(r["figure"]) / 100 if r["figure"] == r["figure"] else None,
                 "attributed_to": r["attributed_to"], "source": r["source"]}
    return {"basis": basis, "as_of": _py(as_of), "unit": unit, "method": method, "by_governorate": by,
            "south_share": round(south / total, 4) if total else None,
            "any_at_most": bool(any(v["flag"] for v in by.values())),
            "claim": claim, "definition": DEF_SHARES.format(gap=SERIES_MAX_GAP_DAYS), "sources": sources}


def compute(on: date | str, *, since: date | str | None = None, window: int = 7,
            path: str | None = None) -> dict[str, Any]:
    """All metrics for ``on``.  Shape::

        {"on", "since", "window",
         "orders": {"area_km2", "share_of_strip", "blocks", "population_prewar_est", "definition", "sources",
                    "recent": {same keys}, "block_ids", "recent_block_ids", "order_ids", ...},
         "zone": {"zone_id", "area_km2", "valid_from", "valid_to", "definition", "sources", ...},
         "strikes": {"count", "fatalities", "by_governorate", "by_block", "inside_zone", "definition", "sources"},
         "population_shares": {"basis": "series"|"prewar", "by_governorate", "south_share", "claim", ...},
         "series": {"killed_cumulative", "injured_cumulative", "aid_trucks", ...: {value, as_of, unit, source,
                    definition}}}
    """
    d_on = _d(on, "on")
    d_since = _default_since(d_on) if since is None else _d(since, "since")
    if window < 1:
        raise InputError(f"window must be at least 1 day, got {window}", field="window")
    if d_since > d_on:
        raise InputError(f"since ({d_since}) is after on ({d_on})", field="since")
    ix = index(path)
    cum = _orders_block(ix, d_since, d_on)
    rec = _orders_block(ix, max(d_since, d_on - timedelta(days=window - 1)), d_on)
    keys = ("area_km2", "share_of_strip", "blocks", "population_prewar_est")
    orders = {k: cum[k] for k in keys}
    orders.update({
        "definition": f"{DEF_ORDERS} {DEF_POP}", "sources": cum["sources"],
        "recent": {**{k: rec[k] for k in keys}, "definition": DEF_RECENT, "sources": rec["sources"],
                   "from": rec["from"], "to": rec["to"]},
        "block_ids": cum["block_ids"], "recent_block_ids": rec["block_ids"], "order_ids": cum["order_ids"],
        "unplaced_order_ids": cum["unplaced_order_ids"], "strip_area_km2": round(ix.strip_area, 3),
    })
    return {"on": d_on.isoformat(), "since": d_since.isoformat(), "window": int(window), "orders": orders,
            "zone": _zone(ix, d_on), "strikes": _strikes(ix, d_on, window),
            "population_shares": _shares(ix, d_on), "series": _series(ix, d_on),
            "workspace": workspace_strikes(d_on, window)}


def workspace_strikes(on: date, window: int, root: str | None = None) -> dict[str, Any]:
    """Imported (workspace) event layers in the window, per layer, marked as workspace data.

    Kept apart from the shipped incidents: the two are never merged into one count.
    """
    from . import workspace

    start = on - timedelta(days=window - 1)
    out: dict[str, Any] = {}
    for entry in workspace.list_layers(root):
        if entry.get("kind") != "events":
            continue
        gdf = workspace.load(entry["name"], root)
        dates = pd.to_datetime(gdf["date"]).dt.date
        e = gdf[(dates >= start) & (dates <= on)]
        fat = pd.to_numeric(e["fatalities"], errors="coerce")
        out[entry["name"]] = {
            "workspace": True, "acled": bool(entry.get("acled", False)), "origin": entry.get("origin"),
            "count": int(len(e)), "fatalities": int(fat.sum()),
            "by_governorate": {str(k): int(v) for k, v in e["pcode"].value_counts().sort_index().items()},
            "from": start.isoformat(), "to": on.isoformat(),
            "definition": (f"Events of the imported layer '{entry['name']}' dated {start.isoformat()} to "
                           f"{on.isoformat()}; reported fatalities summed where given. Imported by a user, "
                           "not part of the shipped data."),
        }
    return out


def block_status(on: date | str, since: date | str | None = None, window: int = 7,
                 path: str | None = None) -> pd.DataFrame:
    """Every block with ``status``: "recent" (named by an order in the last ``window`` days, not before
    ``since``), "earlier" (named in [since, on] but not recently) or "none"; plus ``last_order_on``."""
    d_on = _d(on, "on")
    d_since = _default_since(d_on) if since is None else _d(since, "since")
    ix = index(path)
    d = ix.order_dates
    sel = (d >= np.datetime64(d_since)) & (d <= np.datetime64(d_on))
    rstart = max(d_since, d_on - timedelta(days=window - 1))
    rsel = sel & (d >= np.datetime64(rstart))
    _, cum = ix.covered(sel)
    _, rec = ix.covered(rsel)
    last = np.full(len(ix.block_ids), np.datetime64("NaT"), dtype="datetime64[D]")
    if sel.any():
        dates = np.where(ix.member[sel], d[sel][:, None], np.datetime64("NaT"))
        valid = ix.member[sel].any(axis=0)
        last[valid] = dates[:, valid].max(axis=0, initial=np.datetime64("1900-01-01"))
    status = np.where(rec, "recent", np.where(cum, "earlier", "none"))
    return pd.DataFrame({"block_id": ix.block_ids, "status": status,
                         "last_order_on": pd.to_datetime(last).date})


def block_history(block_id: int, path: str | None = None) -> pd.DataFrame:
    """The orders naming ``block_id``: order_id, issued_on, source_name, source_url, matched_as, raw_id, sources."""
    ix = index(path)
    ob = ix.order_blocks[ix.order_blocks["block_id"] == int(block_id)]
    m = ob.merge(ix.orders[["order_id", "issued_on", "source_name", "source_url", "sources", "kind"]],
                 on="order_id", how="left", suffixes=("_named_by", ""))
    m = m.rename(columns={"source_name_named_by": "named_by"})
    cols = ["order_id", "issued_on", "source_name", "source_url", "matched_as", "raw_id", "named_by", "sources"]
    m = m[cols].sort_values(["issued_on", "order_id", "raw_id"], na_position="last")
    return m.drop_duplicates(["order_id", "matched_as", "raw_id"]).reset_index(drop=True)


def share_series(start: date | str, end: date | str, since: date | str | None = None,
                 path: str | None = None) -> pd.DataFrame:
    """Daily (date, area_km2, share_of_strip, blocks) of the area under orders issued in [since, date].

    ``since`` defaults to ``start``.  Cumulative for a fixed ``since``: never shrinks.
    """
    d0, d1 = _d(start, "start"), _d(end, "end")
    ds = d0 if since is None else _d(since, "since")
    ix = index(path)
    days = np.arange(np.datetime64(d0), np.datetime64(d1) + 1, dtype="datetime64[D]")
    od = ix.order_dates
    live = od >= np.datetime64(ds)
    # first date each block is named on or after since
    never = np.datetime64("9999-12-31")
    if len(od):
        first = np.where(ix.member & live[:, None], od[:, None], never).min(axis=0)
        first_geom = np.where(ix.member_geom & live[:, None], od[:, None], never).min(axis=0)
    else:
        first = first_geom = np.full(len(ix.block_ids), never)
    area_ids = sorted(i for i in ix.area_of if live[i])
    area_first = {i: od[i] for i in area_ids}
    out_area = np.empty(len(days))
    out_blocks = np.empty(len(days), dtype=np.int64)
    for k, day in enumerate(days):
        mask = first <= day
        active = frozenset(i for i, fd in area_first.items() if fd <= day)
        a_area, outside = ix.area_terms(active)
        out_area[k] = a_area + outside[first_geom <= day].sum()
        out_blocks[k] = mask.sum()
    return pd.DataFrame({"date": pd.to_datetime(days).date, "area_km2": out_area.round(3),
                         "share_of_strip": np.minimum(out_area / ix.strip_area, 1.0).round(4),
                         "blocks": out_blocks})


def naive_area(on: date | str, since: date | str, path: str | None = None) -> float:
    """km² of a fresh shapely union of the order geometries issued in [since, on], clipped to the Strip (for checks)."""
    d_on, d_since = _d(on), _d(since)
    orders = load_layer("orders", path)
    issued = pd.to_datetime(orders["issued_on"]).dt.date
    sel = orders[(issued >= d_since) & (issued <= d_on) & orders.geometry.notna()]
    if sel.empty:
        return 0.0
    outline = load_layer("strip", path).to_crs(AREA_CRS).union_all()
    u = shapely.union_all(np.asarray(sel.to_crs(AREA_CRS).geometry.values))
    return float(u.intersection(outline).area / 1e6)


def cli(args: argparse.Namespace) -> int:
    """``python -m pipeline metrics --on D [--since D] [--window N]``: print :func:`compute` as JSON."""
    result = compute(args.on, since=args.since, window=args.window)
    print(json.dumps(result, indent=2, ensure_ascii=False, default=_py))
    return 0
