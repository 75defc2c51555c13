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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.core import settings
from pipeline.core.dates import optional_date, to_date, window_start
from pipeline.core.errors import InputError
from pipeline.core.i18n import N_
from pipeline.core.layers import AREA_CRS, PCODES
from pipeline.runtime import event_counts, workspace
from pipeline.runtime.metrics_index import Index, index
from pipeline.runtime.on_date import rows_in_window, window_bounds
from pipeline.runtime.user_orders import with_your_orders
from pipeline.runtime.zones import zone_on

SOUTH = ("PS0265", "PS0270", "PS0275")  # south of Wadi Gaza: Deir al-Balah, Khan Younis, Rafah
NORTH = ("PS0255", "PS0260")            # north of Wadi Gaza: North Gaza, Gaza
KIND_REPORTED = "reported, not mapped"
NO_DATA = "no data for this date"
GAP_POINTS = 5.0   # a gap of this many points or more (ours lower) is explained by the reported, unmapped orders
SERIES_MAX_GAP_DAYS = 7

DEF_ORDERS = N_("Area under evacuation orders: the union of the blocks and areas named by orders issued on or after "
              "`since` and on or before `on` (each block counted once however many orders name it), in km² "
              "(EPSG:32636) within the Strip outline, and as a share of the Strip outline's area. A sub-block id "
              "covers its own outline where GazaMaps' period layers draw one, else its whole parent block. An order "
              "whose block list repeats an earlier order's counts from the earlier date. An area order (13 Oct 2023, north of Wadi Gaza) counts with its "
              "area; its block count and population use the blocks whose majority lies in the area. Orders with no "
              "block and no known area are listed but not counted; orders OCHA or UNRWA reported that no source maps "
              "('reported, not mapped') are listed beside the figure with what they are reported to cover, never "
              "added into it.")
DEF_FRAMING = N_("'Since' is a framing: the start date the cumulative figure counts from. By default it is the one OCHA "
               "used at the date shown: the war's start (7 Oct 2023) before December 2023, the block grid (1 Dec "
               "2023) in December 2023 and January 2024, when OCHA counted 'since 1 December', and the war's start "
               "again from February 2024, when OCHA's figures count 'since October'. The same date gives very "
               "different shares under different framings (19 Aug 2024: about 84% since 7 Oct 2023, about 62% since "
               "1 Dec 2023), so the framing is always named beside the figure.")
DEF_POP_GAP = N_("Where OCHA states the pre-war population of an order, our estimate is lower: 2 Dec 2023, southern "
               "orders: OCHA 352,000, ours about 198,000; 29 Jan 2024, western Gaza City: OCHA 300,000, ours about "
               "171,000. The likely cause is how population is spread inside a locality: our estimate spreads each "
               "locality's census population evenly over its area, so dense urban cores (camps, city centres, the "
               "areas these orders named) get too few people and open farmland too many. The only finer layer here, "
               "UNOSAT's October 2025 damage hexagons, counts damaged buildings, so weighting by it is partly "
               "circular (the areas under orders were damaged most); tried as a test in the build report "
               "(population_structure_weighting), it narrows the gap but is not used. A pre-war building-footprint "
               "layer would be the right weight.")
DEF_REPORTED = N_("Orders OCHA or UNRWA reported in the period that no block source maps: how many, and the area and "
                "people they are reported to cover (where the report gives a figure), attributed. Never added into "
                "the mapped figure.")
DEF_COVERAGE = N_("Each figure carries its source's coverage (first and last date). Outside it the value is null with "
                "status 'no data for this date'; inside it, a zero is a zero. Interpolated values are marked "
                "filled: true.")
DEF_RECENT = N_("The same for orders issued in the last `window` days up to `on` (and not before `since`).")
DEF_POP = N_("Pre-war population estimate living in those blocks: the sum of blocks.pop_prewar_est (a dasymetric "
           "estimate, not a count).")
DEF_ZONE = N_("The humanitarian zone declared on `on`: valid_from <= on < valid_to; a dated declared version wins over "
            "a proposal; the latest declared wins.")
DEF_STRIKES = N_("Geolocated incidents dated within the window [on - window + 1, on]: count, deaths the datasets report "
               "for their own category (sum over events that report a figure), by governorate and by block, and how "
               "many lay inside the humanitarian zone declared on the event's date. Incident datasets are samples "
               "(aid workers, health care, education, protection, Jabalia attacks), not all strikes.")
DEF_SHARES = N_("Share of the population by governorate on `on`: from the advertising-audience estimate (adults 18+) "
              "when it has a figure within {gap} days before `on`, else the pre-war baseline (governorates.pop_prewar). "
              "'basis' says which. The scenario's attributed claim is shown beside it, never merged.")
DEF_KILLED = N_("Cumulative people killed in Gaza since 7 Oct 2023 as reported on or before `on` (latest report).")
DEF_INJURED = N_("Cumulative people injured in Gaza since 7 Oct 2023 as reported on or before `on` (latest report).")
DEF_TRUCKS = N_("Aid trucks that entered Gaza on `on` (daily file, Oct 2023 - Jan 2024); null where the file has no figure.")
DEF_TRUCKS_MONTH = N_("Aid trucks that entered Gaza in the calendar month of `on`, as published by COGAT.")
DEF_TRUCKS_CUM = N_("Aid trucks that entered Gaza from 7 Oct 2023 to `on` (sum of the daily file; only while it covers `on`).")


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
OCHA_SWITCH_TO_WAR_START = date(2024, 2, 1)   # OCHA counted from 7 Oct 2023 again from February 2024
CLAIM_CURRENT_DAYS = 14                       # a claim older than this is shown as "latest claim, N days old"


@dataclass(frozen=True)
class Framing:
    """A named start date for the cumulative "area under orders" figure."""

    key: str
    label: str
    since: date | None   # None: any date the user picks
    description: str


def _framings() -> dict[str, Framing]:
    grid = settings.get(settings.GRID_PUBLISHED_ON)
    return {f.key: f for f in (
        Framing("grid", f"since the block grid ({grid.day} {grid:%b %Y})", grid,
                N_("Orders issued since the IDF published its numbered block map; OCHA's framing in December 2023 and "
                "January 2024.")),
        Framing("war", N_("since the war began (7 Oct 2023)"), WAR_START,
                N_("Every order since 7 Oct 2023, including the October 2023 order for the whole north; OCHA's framing "
                "before December 2023 and again from February 2024.")),
        Framing("ceasefire-ended", N_("since the ceasefire ended (18 Mar 2025)"), date(2025, 3, 18),
                N_("Orders issued since the January 2025 ceasefire ended on 18 Mar 2025; OCHA's framing for its 2025 "
                "weekly figures.")),
        Framing("custom", N_("since a date you choose"), None, N_("Orders issued on or after any date you pick.")),
    )}


def framings() -> list[dict[str, Any]]:
    """The named framings for the "since" control and the Method page: key, label, since (ISO or None), description."""
    return [{"key": f.key, "label": f.label, "since": f.since.isoformat() if f.since else None,
             "description": f.description} for f in _framings().values()]


def default_framing(on: date | str) -> str:
    """The framing OCHA used at ``on``: the war's start before the grid, the grid in Dec 2023 - Jan 2024, the war's
    start from February 2024 on."""
    d = to_date(on, "on")
    grid = settings.get(settings.GRID_PUBLISHED_ON)
    return "grid" if grid <= d < OCHA_SWITCH_TO_WAR_START else "war"


def _default_since(on: date) -> date:
    """The start date of :func:`default_framing` for ``on``."""
    return _start(_framings()[default_framing(on)])


def _start(f: Framing) -> date:
    """The start date of a named framing (every framing but "custom" has one)."""
    if f.since is None:
        raise ValueError(f"the framing {f.key!r} has no start date")
    return f.since


def resolve_framing(on: date, since: date | str | None) -> dict[str, Any]:
    """{key, label, since, description, default} for ``since`` (None = the default; a framing key; or a date)."""
    fr = _framings()
    if since is None:
        f, default = fr[default_framing(on)], True
        d = _start(f)
    elif isinstance(since, str) and since in fr and since != "custom":
        f, default = fr[since], False
        d = _start(f)
    else:
        d = to_date(since, "since")
        f = next((x for x in fr.values() if x.since == d), None) or fr["custom"]
        default = d == _default_since(on)
        if f.key == "custom":
            f = Framing("custom", f"since {d.day} {d:%b %Y}", d, fr["custom"].description)
    return {"key": f.key, "label": f.label, "since": d.isoformat(), "description": f.description,
            "default": default}


def _sources(ix: Index, order_ids: list[str]) -> list[str]:
    o = ix.orders[ix.orders["order_id"].isin(order_ids)]
    return sorted({s.strip() for v in o["sources"] for s in str(v).split(";") if s.strip()})


def _orders_block(ix: Index, start: date, end: date) -> dict[str, Any]:
    d = ix.order_dates
    sel = (d >= np.datetime64(start)) & (d <= np.datetime64(end))
    km2, mask = ix.covered(sel)
    issued = pd.to_datetime(ix.orders["issued_on"]).dt.date
    o = ix.orders[(issued >= start) & (issued <= end)]
    mapped = o[o["kind"] != KIND_REPORTED]
    all_ids = sorted(mapped["order_id"].tolist())
    repeats = o[o["repeat_of"].notna()] if "repeat_of" in o else o.iloc[:0]
    return {
        "area_km2": round(km2, 3),
        "share_of_strip": round(min(km2 / ix.strip_area, 1.0), 4),
        "blocks": int(mask.sum()),
        "population_prewar_est": ix.population(sel),
        "block_ids": [int(b) for b in ix.block_ids[mask]],
        "order_ids": all_ids,
        "unplaced_order_ids": sorted(mapped.loc[mapped["kind"] == "unplaced", "order_id"]),
        "repeat_order_ids": {r.order_id: r.repeat_of for r in repeats.itertuples()},
        "reported_unmapped": _reported(o[o["kind"] == KIND_REPORTED]),
        "sources": _sources(ix, all_ids),
        "from": start.isoformat(), "to": end.isoformat(),
    }


def _reported(o: pd.DataFrame) -> dict[str, Any]:
    """The 'reported, not mapped' orders of a period, beside (never inside) the mapped figure."""
    def val(r: pd.Series, k: str) -> Any:
        v = r.get(k)
        return None if v is None or (not isinstance(v, str) and pd.isna(v)) else _py(v)

    items = [{"order_id": r["order_id"], "reported_on": _py(r["issued_on"]), "area_named": val(r, "reported_area"),
              "reported_area_km2": val(r, "reported_area_km2"), "reported_people": val(r, "reported_people"),
              "wording": val(r, "reported_wording"), "attributed_to": val(r, "attributed_to"),
              "source": val(r, "reported_via") or val(r, "source_url"),
              "possible_duplicate_of": val(r, "possible_duplicate_of")}
             for _, r in o.sort_values("issued_on").iterrows()]
    areas = [i["reported_area_km2"] for i in items if i["reported_area_km2"] is not None]
    people = [i["reported_people"] for i in items if i["reported_people"] is not None]
    return {"count": len(items), "order_ids": [i["order_id"] for i in items],
            "reported_area_km2": round(float(sum(areas)), 3) if areas else None,
            "reported_area_km2_from": len(areas),
            "reported_people": int(sum(people)) if people else None, "reported_people_from": len(people),
            "items": items, "definition": DEF_REPORTED}


def _zone(ix: Index, on: date) -> dict[str, Any]:
    z = zone_on(ix.zones, on)
    src = ["TentNetFA (realgoodresearch) humanitarian zone versions", "bothness/gaza-geojson (Al-Mawasi proposal)"]
    starts = sorted(b for v in ix.zones["valid_from"] if (b := optional_date(v)) is not None)  # never null (schema)
    ends = sorted(e for v in ix.zones["valid_to"] if (e := optional_date(v)) is not None)
    coverage = {"from": _py(starts[0]) if starts else None, "to": _py(max(ends)) if ends else None}
    if z is None:
        before = [e for e in ends if e <= on]
        after = [b for b in starts if b > on]
        gap = {"from": _py(max(before)) if before else None, "to": _py(min(after)) if after else None}
        return {"zone_id": None, "kind": None, "name": None, "area_km2": None, "valid_from": None, "valid_to": None,
                "status": "no outline in the data", "gap": gap, "coverage": coverage,
                "note": ("the data holds no zone outline for this date; this does not mean no zone was declared"),
                "definition": DEF_ZONE, "sources": src}
    return {"zone_id": z["zone_id"], "kind": z["kind"], "name": z["name"], "area_km2": _py(z["area_km2"]),
            "valid_from": _py(z["valid_from"]), "valid_to": _py(z["valid_to"]), "status": "outline",
            "coverage": coverage, "definition": DEF_ZONE, "sources": [z["source"]]}


def _strikes(ix: Index, on: date, window: int) -> dict[str, Any]:
    start, on = window_bounds(on, window)
    e = rows_in_window(ix.events, on, window)
    fat = pd.to_numeric(e["fatalities"], errors="coerce")
    by_gov: dict[str, dict[str, Any]] = {}
    for key, g in e.groupby("pcode"):
        pcode = str(key)
        f = pd.to_numeric(g["fatalities"], errors="coerce")
        by_gov[pcode] = {"name": PCODES.get(pcode, pcode), "count": int(len(g)), "fatalities": int(f.sum())}
    by_block = {str(int(cast(float, b))): int(n)  # block_id is a numeric column
                for b, n in e.dropna(subset=["block_id"]).groupby("block_id").size().items()}
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


def _coverage_of(ix: Index, metric: str) -> dict[str, Any]:
    s = ix.metric_rows(metric)
    s = s[s["pcode"].isna()] if s["pcode"].isna().any() else s
    return {"from": _py(s["date"].min()) if len(s) else None, "to": _py(s["date"].max()) if len(s) else None}


def _value(row: pd.Series | None, definition: str, unit: str, coverage: dict[str, Any] | None = None,
           on: date | None = None) -> dict[str, Any]:
    """A series value with its coverage: null with status 'no data for this date' outside the coverage."""
    cov = coverage or {"from": None, "to": None}
    outside = on is not None and (cov["from"] is None or on < date.fromisoformat(cov["from"])
                                  or on > date.fromisoformat(cov["to"]))
    if row is None or outside:
        return {"value": None, "as_of": None, "unit": unit, "source": None, "filled": None, "coverage": cov,
                "status": NO_DATA if outside or on is None else "no figure for this date", "definition": definition}
    return {"value": _py(row["value"]), "as_of": _py(row["date"]), "unit": row["unit"], "source": row["source"],
            "filled": bool(row["filled"]), "coverage": cov,
            "status": "interpolated" if bool(row["filled"]) else "reported", "definition": definition}


def _series(ix: Index, on: date) -> dict[str, Any]:
    cov = {m: _coverage_of(ix, m) for m in ("killed_cum", "injured_cum", "aid_trucks_daily", "aid_trucks_monthly")}
    out = {
        "killed_cumulative": _value(_latest(ix, "killed_cum", on), DEF_KILLED, "people", cov["killed_cum"], on),
        "injured_cumulative": _value(_latest(ix, "injured_cum", on), DEF_INJURED, "people", cov["injured_cum"], on),
        "aid_trucks": _value(_latest(ix, "aid_trucks_daily", on, exact=True), DEF_TRUCKS, "trucks per day",
                             cov["aid_trucks_daily"], on),
    }
    month = _latest(ix, "aid_trucks_monthly", on)
    if month is not None and (month["date"].year, month["date"].month) != (on.year, on.month):
        month = None
    mcov = dict(cov["aid_trucks_monthly"])
    if mcov["to"]:  # a monthly figure covers its whole month
        last = date.fromisoformat(mcov["to"])
        mcov["to"] = ((last.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).isoformat()
    out["aid_trucks_month"] = _value(month, DEF_TRUCKS_MONTH, "trucks per month", mcov, on)
    daily = ix.metric_rows("aid_trucks_daily")
    if not daily.empty and daily["date"].min() <= on <= daily["date"].max():
        part = daily[daily["date"] <= on]
        out["aid_trucks_cumulative"] = {"value": float(part["value"].sum()), "as_of": on.isoformat(),
                                        "unit": "trucks", "source": part["source"].iloc[0], "filled": False,
                                        "coverage": cov["aid_trucks_daily"], "status": "reported",
                                        "definition": DEF_TRUCKS_CUM}
    else:
        out["aid_trucks_cumulative"] = _value(None, DEF_TRUCKS_CUM, "trucks", cov["aid_trucks_daily"], on)
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
        method = N_("pre-war baseline (governorates.pop_prewar)")
    all_pop = ix.metric_rows("population_adults_est")
    coverage = {"from": _py(all_pop["date"].min()) if len(all_pop) else None,
                "to": _py(all_pop["date"].max()) if len(all_pop) else None}
    if basis == "series":
        basis_label = f"estimate of where adults are on {_py(as_of)} (advertising-audience counts)"
        basis_date = _py(as_of)
    else:
        year = _py(gov["pop_prewar_year"].max()) if "pop_prewar_year" in gov else None
        basis_date = str(year) if year is not None else None
        basis_label = (f"pre-war baseline ({basis_date}), not where people are now: the dated estimate covers "
                       f"{coverage['from']} to {coverage['to']} and has no figure within {SERIES_MAX_GAP_DAYS} days "
                       f"before {on.isoformat()}")
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
                 "attributed_to": r["attributed_to"], "source": r["source"],
                 "age_days": (on - r["date"]).days, "current": (on - r["date"]).days <= CLAIM_CURRENT_DAYS,
                 "current_window_days": CLAIM_CURRENT_DAYS,
                 "label": (f"claim of {_py(r['date'])}" if (on - r["date"]).days <= CLAIM_CURRENT_DAYS
                           else f"latest claim, {(on - r['date']).days} days old ({_py(r['date'])})")}
    return {"basis": basis, "as_of": _py(as_of), "basis_date": basis_date, "basis_label": basis_label,
            "coverage": coverage, "status": "reported" if basis == "series" else NO_DATA + " (pre-war baseline shown)",
            "unit": unit, "method": method, "by_governorate": by,
            "south_share": round(south / total, 4) if total else None,
            "any_at_most": bool(any(v["flag"] for v in by.values())),
            "claim": claim, "definition": DEF_SHARES.format(gap=SERIES_MAX_GAP_DAYS), "sources": sources}


def compute(ix: Index, on: date | str, *, since: date | str | None = None, window: int = 7,
            workspace_events: Sequence[tuple[Mapping[str, Any], pd.DataFrame | event_counts.CountTable]] = (),
            workspace_orders: Sequence[tuple[Mapping[str, Any], pd.DataFrame]] = ()) -> dict[str, Any]:
    """All metrics for ``on``; ``since`` is None (the default framing for ``on``), a framing key or a date.

    ``workspace_orders`` (the user's imported order layers: manifest entry, frame) give ``with_your_orders``,
    the same "area under orders" with them added (see ``pipeline.runtime.user_orders``), None without any;
    the shipped ``orders`` figure never includes them.

    Shape::

        {"on", "since", "window",
         "framing": {"key", "label", "since", "description", "default": bool},
         "orders": {"area_km2", "share_of_strip", "blocks", "population_prewar_est", "definition", "sources",
                    "recent": {same keys}, "block_ids", "recent_block_ids", "order_ids", "unplaced_order_ids",
                    "repeat_order_ids": {order_id: repeated order_id},
                    "reported_unmapped": {"count", "order_ids", "reported_area_km2", "reported_people",
                                          "items": [{order_id, reported_on, area_named, reported_area_km2,
                                                     reported_people, wording, attributed_to, source,
                                                     possible_duplicate_of}], "definition"},
                    "coverage": {"from", "to"}, "status", "population_note", ...},
         "reference": nearest OCHA statement for the same framing (see :func:`nearest_statement`) or None,
         "zone": {"zone_id", "area_km2", "valid_from", "valid_to", "status": "outline" | "no outline in the data",
                  "gap", "coverage", "definition", "sources", ...},
         "strikes": {"count", "fatalities", "by_governorate", "by_block", "inside_zone", "coverage",
                     "coverage_by_dataset", "status", "definition", "sources"},
         "population_shares": {"basis": "series"|"prewar", "basis_date", "basis_label", "coverage", "status",
                               "by_governorate", "south_share", "claim": {..., "age_days", "current", "label"}},
         "series": {"killed_cumulative", "injured_cumulative", "aid_trucks", ...: {value, as_of, unit, source,
                    filled, coverage, status, definition}}}

    ``status`` is "no data for this date" outside a source's coverage (the value is then null).
    """
    d_on = to_date(on, "on")
    framing = resolve_framing(d_on, since)
    d_since = date.fromisoformat(framing["since"])
    if window < 1:
        raise InputError(f"window must be at least 1 day, got {window}", field="window")
    if d_since > d_on:
        raise InputError(f"since ({d_since}) is after on ({d_on}): the period would hold no day; pick a start on "
                         f"or before {d_on}", field="since")
    cum = _orders_block(ix, d_since, d_on)
    rec = _orders_block(ix, window_start(d_on, window, d_since), d_on)
    keys = ("area_km2", "share_of_strip", "blocks", "population_prewar_est")
    orders = {k: cum[k] for k in keys}
    ocov = _orders_coverage(ix)
    orders.update({
        "definition": f"{DEF_ORDERS} {DEF_POP}", "sources": cum["sources"],
        "recent": {**{k: rec[k] for k in keys}, "definition": DEF_RECENT, "sources": rec["sources"],
                   "from": rec["from"], "to": rec["to"], "reported_unmapped": rec["reported_unmapped"]},
        "block_ids": cum["block_ids"], "recent_block_ids": rec["block_ids"], "order_ids": cum["order_ids"],
        "unplaced_order_ids": cum["unplaced_order_ids"], "repeat_order_ids": cum["repeat_order_ids"],
        "reported_unmapped": cum["reported_unmapped"], "strip_area_km2": round(ix.strip_area, 3),
        "coverage": ocov,
        "status": ("reported" if d_on <= date.fromisoformat(ocov["to"]) else
                   f"partial: no order data after {ocov['to']}; the figure counts the orders up to then"),
        "population_note": DEF_POP_GAP, "framing_note": DEF_FRAMING,
    })
    return {"on": d_on.isoformat(), "since": d_since.isoformat(), "window": int(window), "framing": framing,
            "orders": orders, "reference": nearest_statement(ix, d_on, d_since),
            "zone": _zone(ix, d_on), "strikes": _with_event_coverage(ix, _strikes(ix, d_on, window), d_on, window),
            "population_shares": _shares(ix, d_on), "series": _series(ix, d_on),
            "workspace": workspace_strikes(workspace_events, d_on, window), "coverage_rule": DEF_COVERAGE,
            "with_your_orders": with_your_orders(ix, d_since, d_on, workspace_orders)}


def _orders_coverage(ix: Index) -> dict[str, Any]:
    mapped = ix.orders[ix.orders["kind"] != KIND_REPORTED]
    d = pd.to_datetime(mapped["issued_on"]).dt.date
    return {"from": _py(d.min()), "to": _py(d.max())}


def _with_event_coverage(ix: Index, out: dict[str, Any], on: date, window: int) -> dict[str, Any]:
    """The strikes block with its coverage: counts are null (not 0) for a window wholly after the incident data."""
    d = ix.events["date"]
    cov = {"from": _py(d.min()), "to": _py(d.max())}
    by_ds = {k: {"from": _py(g.min()), "to": _py(g.max())} for k, g in d.groupby(ix.events["dataset"])}
    start = window_start(on, window)
    out = {**out, "coverage": cov, "coverage_by_dataset": by_ds}
    last = date.fromisoformat(cov["to"])
    if start > last or on < date.fromisoformat(cov["from"]):
        out.update({"count": None, "fatalities": None, "events_reporting_fatalities": None, "inside_zone": None,
                    "by_governorate": {}, "by_block": {}, "by_dataset": {}, "status": NO_DATA})
    elif on > last:
        out["status"] = f"partial: the incident data ends {cov['to']}"
    else:
        ended = sorted(k for k, c in by_ds.items() if date.fromisoformat(c["to"]) < start)
        out["status"] = "reported" if not ended else f"reported; ended before this window: {', '.join(ended)}"
    return out


# --------------------------------------------------------------------------- OCHA statements beside our figures

def _statements(ix: Index) -> pd.DataFrame:
    if ix.statements is None:
        return pd.DataFrame(columns=["statement_id", "stated_on", "since", "measure", "region", "comparable"])
    return ix.statements


def _region_figures(ix: Index, sel: np.ndarray, pcodes: Sequence[str]) -> tuple[float, int]:
    """(km², people) of the units the selected orders cover inside the given governorates (area orders' own
    area is not split by governorate: their majority blocks are used)."""
    bp = ix.block_pcode
    inside = np.isin(bp[ix.unit_block], list(pcodes))
    um = ix.unit_mask(sel) & inside
    return float(ix.unit_area[um].sum()), int(round(float(ix.unit_pop[um].sum())))


def _ours_for(ix: Index, st: Mapping[str, Any]) -> dict[str, Any]:
    """Our figure on the statement's definition (share in %, km², people)."""
    st = {k: _py(v) if not isinstance(v, date) else v for k, v in st.items()}
    on = st["stated_on"]
    measure = st["measure"]
    if measure == "area of the declared humanitarian zone":
        z = zone_on(ix.zones, on)
        km2 = None if z is None else float(z["area_km2"])
        return {"km2": km2, "share_pct": None if km2 is None else round(100 * km2 / ix.strip_area, 1), "people": None,
                "what": "zone outline on the date" if z is not None else "no outline in the data"}
    if measure == "area of one order":
        oid = st["order_ref"]
        sel = ix.order_ids == oid
        km2, _ = ix.covered(sel)
        return {"km2": round(km2, 2), "share_pct": round(100 * km2 / ix.strip_area, 1),
                "people": ix.population(sel), "what": f"order {oid}"}
    since = st["since"]
    d = ix.order_dates
    sel = (d >= np.datetime64(since)) & (d <= np.datetime64(on))
    if st.get("region"):
        km2, people = _region_figures(ix, sel, SOUTH if st["region"] == "south" else NORTH)
        what = f"orders {since} to {on}, {st['region']} of Wadi Gaza"
    else:
        km2, _ = ix.covered(sel)
        people = ix.population(sel)
        what = f"orders {since} to {on}"
    return {"km2": round(km2, 2), "share_pct": round(100 * min(km2 / ix.strip_area, 1.0), 1), "people": people,
            "what": what}


def _compare(ix: Index, st: Mapping[str, Any]) -> dict[str, Any]:
    """One statement beside our figure: OCHA's figure, ours on the same definition, the gap in points."""
    st = {k: v if isinstance(v, date) else _py(v) for k, v in st.items()}
    ours = _ours_for(ix, st)
    unit = str(st["unit"])
    ocha_pct = float(st["figure"]) if unit.startswith("percent") else (
        100 * float(st["area_km2"]) / ix.strip_area if st.get("area_km2") is not None else None)
    gap = None
    if st["comparable"] and ocha_pct is not None and ours["share_pct"] is not None:
        gap = round(ours["share_pct"] - ocha_pct, 1)
    km2_gap = None
    if st["comparable"] and _py(st.get("area_km2")) is not None and ours["km2"] is not None:
        km2_gap = round(ours["km2"] - float(st["area_km2"]), 2)
    people = _py(st.get("people_prewar"))
    explain: dict[str, Any] | None = None
    if st["measure"] == "share of the Strip under orders" and st.get("since") is not None:
        o = ix.orders
        issued = pd.to_datetime(o["issued_on"]).dt.date
        explain = _reported(o[(o["kind"] == KIND_REPORTED) & (issued >= st["since"]) & (issued <= st["stated_on"])])
    d = st["stated_on"]
    label = (f"{st['attributed_to']}, {d.day} {d:%b %Y}: {_fmt(st['figure'])}"
             f"{'%' if unit.startswith('percent') else ' km²'} ({st['definition']})")
    return {
        "statement_id": st["statement_id"], "stated_on": d.isoformat(), "refers_to": st["refers_to"],
        "measure": st["measure"], "region": st.get("region"), "figure": _py(st["figure"]), "unit": unit,
        "area_km2": _py(st.get("area_km2")), "people_prewar": people, "definition": st["definition"],
        "framing": st.get("framing"), "since": _py(st.get("since")),
        "comparable": bool(st["comparable"]), "comparable_reason": st["comparable_reason"],
        "ocha_share_pct": None if ocha_pct is None else round(ocha_pct, 1),
        "ours": ours, "gap_points": gap, "gap_km2": km2_gap,
        "gap_people": (ours["people"] - people) if (st["comparable"] and people is not None
                                                     and ours["people"] is not None) else None,
        "status": "compared" if st["comparable"] else "different definition, not compared",
        "reported_unmapped": explain or None,
        "attributed_to": st["attributed_to"], "source": st["source"], "url": st.get("url"), "via": st.get("via"),
        "label": label,
    }


def _fmt(x: Any) -> str:
    x = float(x)
    return f"{x:.0f}" if x == int(x) else f"{x:g}"


def nearest_statement(ix: Index, on: date | str, since: date | str) -> dict[str, Any] | None:
    """The OCHA statement nearest to ``on`` on the same framing (a whole-Strip share counted from ``since``),
    with our figure on its definition and the gap (see :func:`crosscheck`), plus ``days_from_on``; None when no
    statement uses that start date."""
    d_on, d_since = to_date(on, "on"), to_date(since, "since")
    st = _statements(ix)
    st = st[(st["measure"] == "share of the Strip under orders") & st["region"].isna()
            & st["since"].map(lambda v: v == d_since)]
    if st.empty:
        return None
    dist = st["stated_on"].map(lambda v: abs((v - d_on).days))
    row = st.loc[dist.sort_values(kind="stable").index[0]]
    out = _compare(ix, _record(row))
    out["days_from_on"] = (row["stated_on"] - d_on).days
    return out


def crosscheck(ix: Index) -> list[dict[str, Any]]:
    """Every statement (OCHA's, and press figures for the zone's area) beside our figure on the same definition
    (see :func:`_compare`), by date."""
    st = _statements(ix).sort_values(["stated_on", "statement_id"])
    return [_compare(ix, _record(r)) for _, r in st.iterrows()]


def _record(row: pd.Series) -> dict[str, Any]:
    """A statements row as {column: value} (the columns are names)."""
    return {str(k): v for k, v in row.to_dict().items()}


def crosscheck_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """The crosscheck as a plain-text table (one line per statement; explaining orders indented below)."""
    lines = [f"{'stated':10}  {'statement':22}  {'definition':44}  {'theirs':>12}  {'ours':>18}  {'gap':>9}  people "
             "(theirs / ours)", "-" * 150]
    for r in rows:
        unit = "%" if r["unit"].startswith("percent") else " km²"
        ocha = f"{_fmt(r['figure'])}{unit}"
        if r["area_km2"] is not None and not unit == " km²":
            ocha += f" {_fmt(r['area_km2'])} km²"
        o = r["ours"]
        ours = "-" if o["km2"] is None else f"{o['share_pct']}% {o['km2']:.1f} km²"
        if r["comparable"]:
            gap = "-" if r["gap_points"] is None else f"{r['gap_points']:+.1f} pts"
        else:
            gap = "not compared"
        ppl = ""
        if r["people_prewar"] is not None:
            ppl = f"{r['people_prewar']:,} / {o['people']:,}" if o["people"] is not None else f"{r['people_prewar']:,}"
        lines.append(f"{r['stated_on']:10}  {r['statement_id']:22}  {r['definition'][:44]:44}  {ocha:>12}  "
                     f"{ours:>18}  {gap:>9}  {ppl}")
        if not r["comparable"]:
            lines.append(f"{'':12}different definition: {r['comparable_reason']}")
        rep = r.get("reported_unmapped")
        if rep and rep["count"] and r["gap_points"] is not None and r["gap_points"] <= -GAP_POINTS:
            lines.append(f"{'':12}reported, not mapped in the period ({rep['count']}):")
            for it in rep["items"]:
                extra = [x for x in (f"{it['reported_area_km2']:g} km²" if it["reported_area_km2"] else None,
                                     f"{it['reported_people']:,} people" if it["reported_people"] else None,
                                     f"may be {it['possible_duplicate_of']}" if it["possible_duplicate_of"] else None)
                         if x]
                lines.append(f"{'':14}{it['reported_on']}  {it['area_named']} ({it['attributed_to']})"
                             + (f"; {'; '.join(extra)}" if extra else ""))
    return "\n".join(lines)


def crosscheck_cli(args: argparse.Namespace) -> int:
    """``python -m pipeline crosscheck [--json]``: every OCHA statement beside our figure."""
    rows = crosscheck(index())
    if getattr(args, "json", False):
        print(json.dumps(rows, indent=2, ensure_ascii=False, default=_py))
    else:
        print(crosscheck_table(rows))
    return 0


def workspace_strikes(layers: Sequence[tuple[Mapping[str, Any], pd.DataFrame | event_counts.CountTable]],
                      on: date, window: int) -> dict[str, Any]:
    """Imported (workspace) event layers in the window, per layer, marked as workspace data.

    ``layers`` are (manifest entry, frame or its :class:`~pipeline.runtime.event_counts.CountTable`) pairs of
    the workspace's event layers; a count table answers without touching the rows. Kept apart from the
    shipped incidents: the two are never merged into one count.
    """
    start, on = window_bounds(on, window)
    out: dict[str, Any] = {}
    for entry, layer in layers:
        if entry.get("kind") != "events":
            continue
        table = layer if isinstance(layer, event_counts.CountTable) else event_counts.count_table(layer)
        found = event_counts.totals(table, on, window)
        out[entry["name"]] = {
            "workspace": True, "acled": bool(entry.get("acled", False)), "origin": entry.get("origin"),
            **found,
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
    d_since = date.fromisoformat(resolve_framing(d_on, since)["since"])
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
        # numpy's stubs type initial= as a number; a datetime64 array takes a datetime64 one
        last[valid] = dates[:, valid].max(axis=0, initial=np.datetime64("1900-01-01"))  # type: ignore[call-overload]
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
        first_geom = np.where(ix.umember_geom & live[:, None], od[:, None], never).min(axis=0)
    else:
        first = np.full(len(ix.block_ids), never)
        first_geom = np.full(len(ix.unit_block), never)
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
    entries = workspace.list_layers()
    result = compute(index(), args.on, since=args.since, window=args.window,
                     workspace_events=[(e, event_counts.table_for(e)) for e in entries if e.get("kind") == "events"],
                     workspace_orders=[(e, workspace.load(e["name"])) for e in entries if e.get("kind") == "orders"])
    print(json.dumps(result, indent=2, ensure_ascii=False, default=_py))
    return 0
