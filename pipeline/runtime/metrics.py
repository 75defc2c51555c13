"""The figures the dashboard quotes, each with its definition and sources.

``compute(ix, on, since=None, window=7)`` returns a dict of stable shape (see :func:`compute`);
``block_status`` and ``block_history`` answer per-block questions; ``share_series`` gives the daily
"area under orders" series. Every function takes the prepared index (``pipeline.runtime.metrics_index``)
as its first argument; loading happens at the edges (:func:`cli`, the dashboard's cached loaders).
``python -m pipeline metrics --on D [--since D] [--window N]`` prints ``compute`` as JSON.
"""

from __future__ import annotations

import argparse
import json
from datetime import date, timedelta
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.core import settings
from pipeline.core.dates import to_date, window_start
from pipeline.runtime import workspace
from pipeline.runtime.metrics_index import Index, index
from pipeline.runtime.on_date import rows_in_window, window_bounds
from pipeline.core.errors import InputError
from pipeline.core.layers import AREA_CRS, PCODES
from pipeline.runtime.zones import zone_on

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


WAR_START = date(2023, 10, 7)


def _default_since(on: date) -> date:
    """The grid's publication (setting ``grid_published_on``); for earlier dates, 7 Oct 2023."""
    grid = settings.get(settings.GRID_PUBLISHED_ON)
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
    start, on = window_bounds(on, window)
    e = rows_in_window(ix.events, on, window)
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


def compute(ix: Index, on: date | str, *, since: date | str | None = None, window: int = 7,
            workspace_events: Sequence[tuple[Mapping[str, Any], pd.DataFrame]] = ()) -> dict[str, Any]:
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
    d_on = to_date(on, "on")
    d_since = _default_since(d_on) if since is None else to_date(since, "since")
    if window < 1:
        raise InputError(f"window must be at least 1 day, got {window}", field="window")
    if d_since > d_on:
        raise InputError(f"since ({d_since}) is after on ({d_on})", field="since")
    cum = _orders_block(ix, d_since, d_on)
    rec = _orders_block(ix, window_start(d_on, window, d_since), d_on)
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
            "workspace": workspace_strikes(workspace_events, d_on, window)}


def workspace_strikes(layers: Sequence[tuple[Mapping[str, Any], pd.DataFrame]], on: date,
                      window: int) -> dict[str, Any]:
    """Imported (workspace) event layers in the window, per layer, marked as workspace data.

    ``layers`` are (manifest entry, frame) pairs of the workspace's event layers. Kept apart from the
    shipped incidents: the two are never merged into one count.
    """
    start, on = window_bounds(on, window)
    out: dict[str, Any] = {}
    for entry, gdf in layers:
        if entry.get("kind") != "events":
            continue
        e = rows_in_window(gdf, on, window)
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


def block_status(ix: Index, on: date | str, since: date | str | None = None, window: int = 7) -> pd.DataFrame:
    """Every block with ``status``: "recent" (named by an order in the last ``window`` days, not before
    ``since``), "earlier" (named in [since, on] but not recently) or "none"; plus ``last_order_on``."""
    d_on = to_date(on, "on")
    d_since = _default_since(d_on) if since is None else to_date(since, "since")
    d = ix.order_dates
    sel = (d >= np.datetime64(d_since)) & (d <= np.datetime64(d_on))
    rstart = window_start(d_on, window, d_since)
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


def block_history(ix: Index, block_id: int) -> pd.DataFrame:
    """The orders naming ``block_id``: order_id, issued_on, source_name, source_url, matched_as, raw_id, sources."""
    ob = ix.order_blocks[ix.order_blocks["block_id"] == int(block_id)]
    m = ob.merge(ix.orders[["order_id", "issued_on", "source_name", "source_url", "sources", "kind"]],
                 on="order_id", how="left", suffixes=("_named_by", ""))
    m = m.rename(columns={"source_name_named_by": "named_by"})
    cols = ["order_id", "issued_on", "source_name", "source_url", "matched_as", "raw_id", "named_by", "sources"]
    m = m[cols].sort_values(["issued_on", "order_id", "raw_id"], na_position="last")
    return m.drop_duplicates(["order_id", "matched_as", "raw_id"]).reset_index(drop=True)


def share_series(ix: Index, start: date | str, end: date | str, since: date | str | None = None) -> pd.DataFrame:
    """Daily (date, area_km2, share_of_strip, blocks) of the area under orders issued in [since, date].

    ``since`` defaults to ``start``.  Cumulative for a fixed ``since``: never shrinks.
    """
    d0, d1 = to_date(start, "start"), to_date(end, "end")
    ds = d0 if since is None else to_date(since, "since")
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


def naive_area(orders: gpd.GeoDataFrame, strip: gpd.GeoDataFrame, on: date | str, since: date | str) -> float:
    """km² of a fresh shapely union of the order geometries issued in [since, on], clipped to the Strip (for checks)."""
    d_on, d_since = to_date(on), to_date(since)
    issued = pd.to_datetime(orders["issued_on"]).dt.date
    sel = orders[(issued >= d_since) & (issued <= d_on) & orders.geometry.notna()]
    if sel.empty:
        return 0.0
    outline = strip.to_crs(AREA_CRS).union_all()
    u = shapely.union_all(np.asarray(sel.to_crs(AREA_CRS).geometry.values))
    return float(u.intersection(outline).area / 1e6)


def cli(args: argparse.Namespace) -> int:
    """``python -m pipeline metrics --on D [--since D] [--window N]``: print :func:`compute` as JSON."""
    layers = [(e, workspace.load(e["name"])) for e in workspace.list_layers() if e.get("kind") == "events"]
    result = compute(index(), args.on, since=args.since, window=args.window, workspace_events=layers)
    print(json.dumps(result, indent=2, ensure_ascii=False, default=_py))
    return 0
