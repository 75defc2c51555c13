"""The map component's data on the shipped bundle: what playback shows for a day is what the page shows for it."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from dashboard import map_payload
from pipeline.runtime import metrics as pm
from pipeline.runtime.metrics_index import index


def _day(table: dict[str, object], runs: list[object], k: int) -> str:
    """The code a block's run-length list gives on day index ``k``."""
    code = "n"
    for j in range(0, len(runs), 2):
        if int(runs[j]) > k:  # type: ignore[call-overload]
            break
        code = str(runs[j + 1])
    return code


@pytest.mark.parametrize("since, window", [("2023-12-01", 7), ("2023-10-07", 3), ("2025-03-18", 14)])
def test_playback_days_match_the_block_status_of_each_date(since: str, window: int) -> None:
    table = json.loads(map_payload.playback(since, window))
    order = map_payload.block_order()
    start = date.fromisoformat(table["start"])
    assert table["days"] == len(table["counts"]) > 100
    for k in (0, 1, 2, 5, 9, 30, 64, 200, table["days"] - 1):  # first days, order-heavy weeks, the last day
        on = start + timedelta(days=k)
        want = pm.block_status(index(), on.isoformat(), since=since, window=window)
        by = dict(zip(want["block_id"].astype(int), want["status"], strict=True))
        got = [_day(table, table["runs"][i], k) for i in range(len(order))]
        assert got == [map_payload.CODES[by.get(b, "none")] for b in order], on
        assert table["counts"][k] == [got.count("r"), got.count("e"), got.count("n")]
    assert any(c[0] for c in table["counts"]), "no day with a block ordered in the window"


def test_playback_starts_at_the_framing_and_covers_the_span() -> None:
    lo, hi = map_payload.time_span()
    table = json.loads(map_payload.playback("2023-12-01", 7))
    assert table["start"] == "2023-12-01"
    assert table["days"] == (hi - date(2023, 12, 1)).days + 1
    assert json.loads(map_payload.playback("2000-01-01", 7))["start"] == lo.isoformat()


def test_claims_of_a_date_name_their_place_and_its_outline_comes_once_with_the_base() -> None:
    from dashboard import data, state

    on = date(2023, 12, 2)
    view = data.map_view(on, data.default_since(on), 7, tuple(state.LAYER_OPTIONS.values()), "none", imported=[])
    base = json.loads(map_payload.base())
    areas = {f["properties"]["place_id"]: f for f in base["claim_areas"]["features"]}
    assert view["claims"], "the shipped claims of early December 2023 are in the 7 days to 2 Dec"
    for c in view["claims"]:
        assert c["place"] in areas and areas[c["place"]]["geometry"]["coordinates"]
        assert any("according to" in line for line in c["tip"])
    assert "coordinates" not in json.dumps(view["claims"])  # the outlines are not sent again with each date


def test_a_view_names_its_incidents_in_the_table_of_every_incident_sent_once() -> None:
    from dashboard import data, state

    table = data.incident_table()
    body = json.loads(table.body)
    for on in (date(2023, 12, 2), date(2024, 1, 10)):  # weeks with incidents (32 and about 40)
        view = data.map_view(on, data.default_since(on), 7, tuple(state.LAYER_OPTIONS.values()), "none", imported=[])
        window = data.incidents(on, 7)
        placed = window[window.geometry.notna() & ~window.geometry.is_empty]
        assert view["incidents_url"] == table.url and view["incidents"] == []
        assert sorted(view["incidents_at"]) == sorted(table.index[str(e)] for e in placed["event_id"])
        for i in view["incidents_at"]:
            lon, lat, _radius, ids = body["points"][i]
            assert 34.2 < lon < 34.6 and 31.2 < lat < 31.6  # in the Strip
            assert any(body["strings"][k].startswith("Reported fatalities") for k in ids)
        assert len(view["incidents_at"]) > 10
    events = data.geolayer("events")
    assert events is not None
    acled = set(events.loc[data.is_acled(events), "event_id"].astype(str))
    assert not acled & set(table.index)  # ACLED rows are never sent row by row
