"""Per-day x per-block counts of an imported event layer: built once, answers any window at once.

A date change on the Map page asks of each imported event layer how many events fall in the window, their
reported fatalities, per governorate, and (for the map) per block. Reading a million rows for that on every
date is what made a date change slow and the server large; the answer only needs, per calendar day, block
and governorate, the number of events and the sum and count of reported fatalities. :func:`count_table`
builds that table (a few hundred thousand rows at most: days x blocks) from the layer's ``date``,
``block_id``, ``pcode`` and ``fatalities`` columns only, sorted by day, so a window is a slice found by
binary search. :func:`table_for` keeps one table per layer file in memory, keyed by the layer's sha256 in
the workspace manifest (a re-import or an overlap removal changes it, and the table is made again).

The window rule is :mod:`pipeline.runtime.on_date`'s (``[on - window + 1, on]``, by calendar day; a row
whose date cannot be read never falls in a window), so the figures equal a direct filter of the rows.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.runtime import workspace
from pipeline.runtime.on_date import days, window_bounds
from pipeline.runtime.workspace_postgis import PostgisBackend

COLUMNS = ("date", "block_id", "pcode", "fatalities")  # the columns a table is built from
KEYS = ("day", "block_id", "pcode")
_CACHE_SIZE = 16


@dataclass(frozen=True)
class CountTable:
    """Rows: ``day`` (datetime64, sorted), ``block_id`` (Int64, missing outside every block), ``pcode``
    (string, missing when unknown), ``events``, ``fatalities`` (sum of reported), ``fatalities_reported``
    (events with a figure). ``rows`` is the number of events it counts (all rows of the layer)."""

    frame: pd.DataFrame
    rows: int

    @property
    def day_values(self) -> np.ndarray:
        return self.frame["day"].to_numpy()


def count_table(events: pd.DataFrame) -> CountTable:
    """The per-day x per-block (and governorate) counts of ``events`` (any frame with the events columns)."""
    n = len(events)
    day = days(events, "date")
    block = (events["block_id"] if "block_id" in events else pd.Series(pd.NA, index=events.index)).astype("Int64")
    pcode = (events["pcode"] if "pcode" in events else pd.Series(pd.NA, index=events.index)).astype("string")
    fat = pd.to_numeric(events["fatalities"], errors="coerce") if "fatalities" in events else \
        pd.Series(np.nan, index=events.index)
    df = pd.DataFrame({"day": day.to_numpy(), "block_id": block.to_numpy(), "pcode": pcode.to_numpy(),
                       "fatalities": fat.astype("Float64").to_numpy()})
    df = df[df["day"].notna()]
    out = (df.groupby(list(KEYS), dropna=False, sort=True)
           .agg(events=("day", "size"), fatalities=("fatalities", "sum"),
                fatalities_reported=("fatalities", "count"))
           .reset_index())
    return _typed(out, n)


def _typed(out: pd.DataFrame, n: int) -> CountTable:
    """The table's column types, rows sorted by day."""
    out["day"] = pd.to_datetime(out["day"]).astype("datetime64[ns]")
    out["block_id"] = out["block_id"].astype("Int64")
    out["pcode"] = out["pcode"].astype("string")
    out["events"] = out["events"].astype("int64")
    out["fatalities"] = out["fatalities"].astype("float64").round().astype("int64")
    out["fatalities_reported"] = out["fatalities_reported"].astype("int64")
    out = out.sort_values("day", kind="stable").reset_index(drop=True)
    return CountTable(out, n)


def window(table: CountTable, on: date | str, window_days: int) -> pd.DataFrame:
    """The table's rows in the ``window_days`` days ending on ``on`` (a slice: binary search on the day)."""
    lo, hi = window_bounds(on, window_days)
    d = table.day_values
    i = int(np.searchsorted(d, np.datetime64(lo, "ns"), side="left"))
    j = int(np.searchsorted(d, np.datetime64(hi, "ns"), side="right"))
    return table.frame.iloc[i:j]


def totals(table: CountTable, on: date | str, window_days: int) -> dict[str, Any]:
    """Events in the window: ``count``, ``fatalities`` (reported, summed), ``by_governorate`` {pcode: events}."""
    w = window(table, on, window_days)
    by = w[w["pcode"].notna()].groupby("pcode", sort=True)["events"].sum()
    return {"count": int(w["events"].sum()), "fatalities": int(w["fatalities"].sum()),
            "by_governorate": {str(k): int(v) for k, v in by.items()}}


def by_area(table: CountTable, on: date | str, window_days: int) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Events in the window per block, and per governorate for those in no block; (blocks, governorates, unplaced).

    Both frames: the key (``block_id`` or ``pcode``), ``events``, ``fatalities``, ``fatalities_reported``,
    ``first_date``, ``last_date``. ``unplaced``: events with neither a block nor a governorate.
    """
    w = window(table, on, window_days)
    in_block = w["block_id"].notna()
    in_gov = ~in_block & w["pcode"].notna()
    return _per(w[in_block], "block_id"), _per(w[in_gov], "pcode"), int(w.loc[~in_block & ~in_gov, "events"].sum())


def _per(rows: pd.DataFrame, key: str) -> pd.DataFrame:
    """Sums and first/last day per ``key``, sorted by key. ``rows`` is a window of the table, sorted by day, so a
    key's first and last day are those of its first and last row; numpy's grouping (``unique`` + ``bincount``)
    gives the frame pandas' ``groupby`` would, at a fraction of its cost on a date change."""
    keys = rows[key]
    dtype: Any = keys.dtype
    if keys.empty:
        return pd.DataFrame({key: pd.array([], dtype=dtype),
                             **{c: np.array([], dtype="int64") for c in ("events", "fatalities", "fatalities_reported")},
                             "first_date": np.array([], dtype="datetime64[ns]"),
                             "last_date": np.array([], dtype="datetime64[ns]")})
    values = keys.to_numpy(dtype="int64" if key == "block_id" else object)
    uniq, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    last = len(values) - 1 - np.unique(values[::-1], return_index=True)[1]
    day = rows["day"].to_numpy()
    out: dict[str, Any] = {key: pd.array(uniq, dtype=dtype)}
    for c in ("events", "fatalities", "fatalities_reported"):
        out[c] = np.bincount(inverse, weights=rows[c].to_numpy(), minlength=len(uniq)).round().astype("int64")
    out["first_date"], out["last_date"] = day[first], day[last]
    return pd.DataFrame(out)


# ---------------------------------------------------------------- one table per workspace layer


_tables: OrderedDict[str, CountTable] = OrderedDict()
_lock = threading.Lock()


def layer_path(entry: Mapping[str, Any], root: str | Path | None = None) -> Path:
    return workspace.workspace_dir(root) / str(entry["file"])


def read_columns(entry: Mapping[str, Any], columns: list[str], root: str | Path | None = None) -> pd.DataFrame:
    """Only ``columns`` of a workspace layer: from its GeoParquet file on the files backend (nothing else is
    read), else through the workspace (PostGIS)."""
    if workspace.backend(root).kind == "files":
        return pd.read_parquet(layer_path(entry, root), columns=columns)
    return workspace.load(str(entry["name"]), root, columns=columns)  # PostGIS selects only these columns


def table_for(entry: Mapping[str, Any], root: str | Path | None = None) -> CountTable:
    """The count table of the workspace event layer of manifest ``entry``, built once per layer file (its
    sha256) and kept in memory; only the four columns it needs are read from the layer's GeoParquet (on PostGIS
    the table is summed by the database)."""
    key = str(entry.get("sha256") or entry["file"])
    with _lock:
        if key in _tables:
            _tables.move_to_end(key)
            return _tables[key]
    b = workspace.backend(root)
    if isinstance(b, PostgisBackend):  # summed in the database: the layer's rows never come to the app
        table = _typed(b.day_counts(str(entry["name"])), int(entry.get("rows") or 0))
    else:
        frame = read_columns(entry, list(COLUMNS), root)
        table = count_table(frame)
        del frame
    with _lock:
        _tables[key] = table
        while len(_tables) > _CACHE_SIZE:
            _tables.popitem(last=False)
    return table


def rows_in_window(entry: Mapping[str, Any], on: date | str, window_days: int,
                   root: str | Path | None = None) -> gpd.GeoDataFrame:
    """The stored rows of a workspace event layer dated in the window, read with a filter on ``date``
    (a large layer is never loaded whole to draw a few of its events)."""
    lo, hi = window_bounds(on, window_days)
    if workspace.backend(root).kind != "files":  # PostGIS: the database filters on its date index
        last = pd.Timestamp(hi) + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)  # any time on the last day
        return gpd.GeoDataFrame(workspace.load_dates(str(entry["name"]), pd.Timestamp(lo), last, root)
                                ).reset_index(drop=True)
    start, end = pd.Timestamp(lo), pd.Timestamp(hi) + pd.Timedelta(days=1)
    frame = gpd.read_parquet(layer_path(entry, root), filters=[("date", ">=", start), ("date", "<", end)])
    return frame.reset_index(drop=True)
