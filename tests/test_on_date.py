"""Which rows count on a date (``pipeline.runtime.on_date``): the one rule the map, the KPIs and the metrics use."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from pipeline.core.errors import InputError
from pipeline.runtime import on_date

ON = date(2023, 12, 2)


def test_window_is_the_n_days_ending_on_the_date_both_included():
    assert on_date.window_bounds(ON, 7) == (date(2023, 11, 26), ON)
    assert on_date.window_bounds("2023-12-02", 1) == (ON, ON)
    with pytest.raises(InputError, match="window must be at least 1 day"):
        on_date.window_bounds(ON, 0)


@pytest.mark.parametrize("dates", [
    [date(2023, 11, 25), date(2023, 11, 26), date(2023, 12, 2), date(2023, 12, 3), None],  # the bundle: dates
    pd.to_datetime(["2023-11-25 23:59", "2023-11-26 00:00", "2023-12-02 18:30", "2023-12-03 00:00", None]),
    ["2023-11-25", "2023-11-26", "2023-12-02", "2023-12-03", None],
])
def test_rows_in_window_by_calendar_day_whatever_the_date_type(dates):
    frame = pd.DataFrame({"id": list("abcde"), "date": dates})
    assert on_date.rows_in_window(frame, ON, 7)["id"].tolist() == ["b", "c"]  # a time of day never moves a row out


def test_valid_on_is_half_open_with_missing_bounds_open():
    zones = pd.DataFrame({"id": list("abcde"),
                          "valid_from": ["2023-12-01", "2023-12-02", "2023-12-03", None, "2023-11-01"],
                          "valid_to": [None, "2023-12-03", None, "2023-12-02", "2023-12-02"]})
    assert on_date.valid_on(zones, ON)["id"].tolist() == ["a", "b"]  # ends on the date: no longer valid


def test_latest_on_or_before_per_key_undated_rows_lose_to_dated_ones():
    figures = pd.DataFrame({"pcode": ["P1", "P1", "P1", "P2", "P3"], "metric": ["m"] * 5,
                            "date": pd.to_datetime(["2023-11-30", "2023-12-02", "2023-12-20", None, "2023-12-05"]),
                            "value": [1, 2, 3, 4, 5]})
    got = on_date.latest_on_or_before(figures, ON, ["pcode", "metric"])
    assert dict(zip(got["pcode"], got["value"], strict=True)) == {"P1": 2, "P2": 4}  # P3 only after the date
