"""Which rows count on a date: the one rule the map, the KPIs and the metrics share.

- **dated rows** (events, claims): the ``window`` days ending on ``on``, both ends included,
  ``[on - window + 1, on]`` (:func:`pipeline.core.dates.window_start`); :func:`rows_in_window`;
- **validity intervals** (zones): ``valid_from <= on < valid_to`` (half-open, as the zones layer
  declares); a missing bound is open (no ``valid_from``: since always; no ``valid_to``: still valid);
  :func:`valid_on`;
- **dated values** (figures): per key, the latest row dated on or before ``on``; an undated row counts,
  and any dated row beats it; :func:`latest_on_or_before`.

Dates are compared by calendar day: a time of day is ignored, and a column may hold python dates,
ISO strings or datetime64 (the bundle stores dates, imported layers datetime64). A row whose date
cannot be read never falls in a window.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TypeVar, cast

import pandas as pd

from pipeline.core.dates import to_date, window_start
from pipeline.core.errors import InputError

Frame = TypeVar("Frame", bound=pd.DataFrame)


def days(frame: pd.DataFrame, col: str) -> pd.Series:
    """Column ``col`` as day-precision timestamps (NaT where missing or unreadable; all NaT if absent)."""
    if col not in frame:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    values = frame[col]
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values, errors="coerce")
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    normalized: pd.Series = values.dt.normalize()
    return normalized


def window_bounds(on: date | str, window: int) -> tuple[date, date]:
    """First and last day of "the ``window`` days ending on ``on``" (both included)."""
    if int(window) < 1:
        raise InputError(f"window must be at least 1 day, got {window}", field="window")
    d = to_date(on, "on")
    return window_start(d, int(window)), d


def in_window(frame: pd.DataFrame, on: date | str, window: int, date_col: str = "date") -> pd.Series:
    """Boolean mask of the rows of ``frame`` dated in the ``window`` days ending on ``on``."""
    lo, hi = window_bounds(on, window)
    d = days(frame, date_col)
    return (d >= pd.Timestamp(lo)) & (d <= pd.Timestamp(hi))


def rows_in_window(frame: Frame, on: date | str, window: int, date_col: str = "date") -> Frame:
    """The rows of ``frame`` dated in the ``window`` days ending on ``on`` (a new frame)."""
    return frame[in_window(frame, on, window, date_col)].copy()


def valid_on(frame: Frame, on: date | str, from_col: str = "valid_from", to_col: str = "valid_to") -> Frame:
    """The rows of ``frame`` valid on ``on``: ``from_col <= on < to_col``, a missing bound open."""
    d = pd.Timestamp(to_date(on, "on"))
    start, end = days(frame, from_col), days(frame, to_col)
    return frame[(start.isna() | (start <= d)) & (end.isna() | (d < end))].copy()


def latest_on_or_before(frame: Frame, on: date | str, by: Sequence[str], date_col: str = "date") -> Frame:
    """Per ``by`` group, the latest row dated on or before ``on`` (undated rows count, dated ones win).

    Returned in day order (undated first), one row per group; missing keys form a group of their own.
    """
    d = pd.Timestamp(to_date(on, "on"))
    day = days(frame, date_col)
    keep = day.isna() | (day <= d)
    sel = frame[keep].assign(_on_date_day=day[keep])
    sel = sel.sort_values("_on_date_day", na_position="first", kind="mergesort").drop(columns="_on_date_day")
    # GroupBy.tail keeps the frame's type (a GeoDataFrame stays one); the stubs return a plain DataFrame.
    return cast(Frame, sel.groupby(list(by), dropna=False, sort=True).tail(1).copy())
