"""Aggregate views of imported ACLED layers: by event type, governorate and calendar month; geocoding precision.

ACLED's terms forbid passing its rows on, so everything here returns aggregates only (counts and summed
fatalities per governorate and month): :func:`monthly` is what the dashboard's table, chart and CSV show, to
be held against ACLED's own published monthly aggregates (political violence by governorate and month, on
HDX). :func:`precision_note` says when most events are placed at the town or district level (ACLED
``geo_precision`` 2 or 3), so a block aggregate does not read as block precision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.core.i18n import N_
from pipeline.core.layers import PCODES
from pipeline.runtime.workspace import aggregate_events

POLITICAL_VIOLENCE = ("Battles", "Explosions/Remote violence", "Violence against civilians")
MONTHLY_COLUMNS = ("month", "pcode", "governorate", "events", "fatalities", "fatalities_reported")
COARSE_PRECISION = ("2", "3")  # ACLED: 2 = near a town (part of a region), 3 = the district/provincial capital
PLACED_COARSE = "placed at the town or district level (ACLED geo_precision 2 or 3)"
COARSE_SHARE = 0.5  # above this share of events the aggregate says "placed at the town or district level"
DEF_MONTHLY = N_("Events of the imported ACLED layer by governorate (OCHA pcode, from the event's point, else the "
                  "admin2 ACLED names) and calendar month of event_date, for the event types and sub-event types "
                  "chosen; fatalities are ACLED's reported fatalities summed. Political violence = Battles, "
                  "Explosions/Remote violence, Violence against civilians, as ACLED defines it. Aggregates only: "
                  "ACLED's rows are not passed on.")


def types_of(frame: pd.DataFrame) -> dict[str, list[str]]:
    """ACLED event type -> its sub-event types in the layer (sorted); {} for a layer stored without them."""
    if "event_type" not in frame or "sub_event_type" not in frame:
        return {}
    pairs = frame[["event_type", "sub_event_type"]].dropna().astype(str).drop_duplicates()
    return {str(t): sorted(g["sub_event_type"].tolist()) for t, g in pairs.groupby("event_type", sort=True)}


def select(frame: pd.DataFrame, event_types: Iterable[str] | None = None,
           sub_event_types: Iterable[str] | None = None) -> pd.DataFrame:
    """The rows of the chosen ACLED event types and sub-event types (None: all of them)."""
    keep = pd.Series(True, index=frame.index)
    for col, chosen in (("event_type", event_types), ("sub_event_type", sub_event_types)):
        if chosen is not None:
            if col not in frame:
                raise KeyError(f"the layer has no {col} column: import the ACLED export again to filter by type")
            keep &= frame[col].astype("string").isin(list(chosen)).fillna(False).astype(bool)
    return frame[keep.to_numpy()]


def monthly(frame: pd.DataFrame, event_types: Iterable[str] | None = None,
            sub_event_types: Iterable[str] | None = None) -> pd.DataFrame:
    """Events and reported fatalities per governorate and calendar month (``MONTHLY_COLUMNS``, aggregates only)."""
    rows = select(frame, event_types, sub_event_types)
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in MONTHLY_COLUMNS})
    agg = aggregate_events(rows, by="pcode", period="M")
    out = pd.DataFrame({
        "month": pd.to_datetime(agg["period_start"]).dt.strftime("%Y-%m"),
        "pcode": agg["pcode"].astype("string"),
        "governorate": agg["pcode"].map(lambda p: PCODES.get(str(p), "no governorate") if pd.notna(p)
                                        else "no governorate"),
        "events": agg["events"].astype(int), "fatalities": agg["fatalities"].astype("Int64"),
        "fatalities_reported": agg["fatalities_reported"].astype(int)})
    return out.sort_values(["month", "pcode"], na_position="last").reset_index(drop=True)


def monthly_csv(table: pd.DataFrame) -> bytes:
    """The monthly aggregates as CSV (UTF-8): the aggregate columns only, never an event's own fields."""
    return table[list(MONTHLY_COLUMNS)].to_csv(index=False).encode("utf-8")


def precision_note(frame: pd.DataFrame) -> dict[str, Any] | None:
    """How many events ACLED placed at the town or district level (``geo_precision`` 2 or 3), and the sentence to
    show beside a block aggregate when they are most of them; None when the layer has no geo_precision."""
    if "geo_precision" not in frame or frame.empty:
        return None
    gp = frame["geo_precision"].astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
    known = int(gp.notna().sum())
    if not known:
        return None
    coarse = int(gp.isin(list(COARSE_PRECISION)).fillna(False).sum())
    share = coarse / known
    points = None
    if isinstance(frame, gpd.GeoDataFrame):  # how many places the events share
        points = int(len(np.unique(np.round(shapely.get_coordinates(np.asarray(frame.geometry.values)), 5), axis=0)))
    sentence = None
    if share > COARSE_SHARE:
        sentence = (f"{coarse:,} of {known:,} events ({100 * share:.0f}%) are {PLACED_COARSE}"
                    f"{f', at {points:,} distinct points' if points else ''}: their "
                    "block is where ACLED puts the town or district, not where the event happened. Read the counts "
                    "by governorate, not by block.")
    return {"coarse": coarse, "known": known, "share": round(share, 4), "distinct_points": points,
            "sentence": sentence}


def source_caption(entry: Mapping[str, Any]) -> str:
    """ "ACLED, imported by you from FILE on DATE; political violence = ..., as ACLED defines it"."""
    when = str(entry.get("imported_at") or "")[:10] or "an unknown date"
    return (f"ACLED, imported by you from {entry.get('origin') or entry.get('name')} on {when}; political violence "
            f"= {', '.join(POLITICAL_VIOLENCE)}, as ACLED defines it.")
