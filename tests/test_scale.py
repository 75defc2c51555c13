"""Imports and the map at scale, on small files: delimiter sniffing, the upload cap, the per-day x per-block
count table, and a large imported layer reaching the map as aggregates (speed is measured in bench/)."""

from __future__ import annotations

import tomllib
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from dashboard import map_payload
from dashboard.map_layers import prepare_workspace_layer
from pipeline.core import settings
from pipeline.runtime import detect, event_counts
from pipeline.runtime.bundle import load_geolayer
from pipeline.runtime.imports import import_file
from pipeline.runtime.on_date import rows_in_window
from tests.conftest import ROOT

# ---------------------------------------------------------------- delimiter sniffing


ODD_SEMICOLON = (
    "\n\n"  # blank lines before the header
    "event_id;date;lat;lon;notes\n"
    'e1;2023-12-02;31.52;34.45;"Strike, then shelling, then more, and more, and more"\n'
    "e2;2023-12-03;31.35;34.30;short\n"
    'e3;2023-12-04;31.30;34.25;"a, b, c, d, e, f, g, h"\n'
)


@pytest.mark.parametrize("text, delimiter", [
    (ODD_SEMICOLON, ";"),
    ("sep=;\n" + ODD_SEMICOLON.lstrip(), ";"),  # Excel's separator line
    ("a\tb\tc\n1\t2,5\t3\n4\t5\t6\n", "\t"),
    ("a|b\n1|x, y, z\n", "|"),
    ("only one column\nvalue\n", ","),
])
def test_the_delimiter_is_found_when_the_first_lines_are_odd(text, delimiter):
    assert detect.sniff_delimiter(text) == delimiter


@pytest.mark.parametrize("prefix", ["", "sep=;\n"])
def test_a_semicolon_file_with_odd_first_lines_reads_into_its_columns(tmp_path, prefix):
    f = tmp_path / "odd.csv"
    f.write_text(prefix + ODD_SEMICOLON, encoding="utf-8")
    det = detect.detect(f)
    frame = detect.read_table(f, det.container, f.name)
    assert list(frame.columns) == ["event_id", "date", "lat", "lon", "notes"]
    assert frame["notes"].tolist()[0] == "Strike, then shelling, then more, and more, and more"
    assert len(frame) == 3


def test_a_ragged_row_is_still_named_in_the_error(tmp_path):
    f = tmp_path / "ragged.csv"
    f.write_text("event_id,date,lat,lon\ne1,2023-12-02,31.5,34.4\ne2,2023-12-03,31.5,34.4,extra,more\n")
    rep = import_file(f, dry_run=True)
    assert rep["status"] == "error" and "malformed CSV" in rep["message"] and "line 3" in rep["message"]


# ---------------------------------------------------------------- upload cap


def _acled_like(n: int, seed: int = 3) -> pd.DataFrame:
    """``n`` rows of ACLED's 31 columns with text as long as in a real Gaza export (notes of about 400
    characters, actors, sources and tags spelled out), so their size per row is an export's."""
    rng = np.random.default_rng(seed)
    words = np.array(["Israeli", "forces", "struck", "a", "residential", "building", "in", "the", "east", "of",
                      "Khan Younis", "killing", "wounding", "several", "people", "including", "children", "and",
                      "women", "according", "to", "local", "sources", "shelling", "continued", "overnight"])
    notes = [" ".join(rng.choice(words, 60)) for _ in range(n)]
    return pd.DataFrame({
        "event_id_cnty": [f"PSE{100000 + i}" for i in range(n)], "event_date": "2024-01-15", "year": 2024,
        "time_precision": 1, "disorder_type": "Political violence", "event_type": "Explosions/Remote violence",
        "sub_event_type": "Air/drone strike", "actor1": "Military Forces of Israel (2022-)",
        "assoc_actor_1": "Air Force of Israel (2022-)", "inter1": 8, "actor2": "Civilians (Palestine)",
        "assoc_actor_2": "Health Workers (Palestine); Women (Palestine); Children (Palestine)", "inter2": 7,
        "interaction": 78, "civilian_targeting": "Civilian targeting", "iso": 275, "region": "Middle East",
        "country": "Palestine", "admin1": "Gaza Strip", "admin2": "Khan Yunis", "admin3": "Bani Suheila",
        "location": "Bani Suheila", "latitude": 31.3412, "longitude": 34.3215, "geo_precision": 1,
        "source": "Al Jazeera; Palestine News and Information Agency; WAFA; Quds News Network",
        "source_scale": "National-International", "notes": notes, "fatalities": rng.integers(0, 30, n),
        "tags": "crowd size=no report; local administrators", "timestamp": 1706000000,
    })


def test_the_default_upload_cap_admits_a_100000_row_acled_export(tmp_path):
    sample = tmp_path / "sample.csv"
    _acled_like(2000).to_csv(sample, index=False)
    size = int(sample.stat().st_size / 2000 * 100_000)
    assert size < settings.MAX_UPLOAD_MB.default * 1024 * 1024
    # the check an import runs, on a file of that size (sparse: nothing is written)
    big = tmp_path / "export-100000.csv"
    with open(big, "wb") as fh:
        fh.write(sample.read_bytes()[:4096])
        fh.truncate(size)
    assert detect.check_size(big, big.name) == size
    # and Streamlit's own uploader limit lets it through to that check
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] >= settings.MAX_UPLOAD_MB.default


# ---------------------------------------------------------------- count table


@pytest.fixture()
def small_layer() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(11)
    n = 400
    dates = pd.to_datetime("2023-11-20") + pd.to_timedelta(rng.integers(0, 30, n), unit="D") \
        + pd.to_timedelta(rng.integers(0, 86400, n), unit="s")  # times of day: counted by calendar day
    dates = pd.Series(dates).mask(rng.random(n) < 0.05)  # some undated rows never count
    block = pd.array(rng.choice([101, 102, 2210, 642], n), dtype="Int64")
    block[rng.random(n) < 0.2] = pd.NA
    pcode = pd.array(rng.choice(["PS0270", "PS0275", "PS0260"], n), dtype="string")
    pcode[rng.random(n) < 0.1] = pd.NA
    fat = pd.array(rng.integers(0, 9, n), dtype="Int64")
    fat[rng.random(n) < 0.3] = pd.NA
    return gpd.GeoDataFrame({"event_id": [f"e{i}" for i in range(n)], "date": dates.to_numpy(),
                             "block_id": block, "pcode": pcode, "fatalities": fat},
                            geometry=gpd.points_from_xy(np.full(n, 34.3), np.full(n, 31.4)), crs=4326)


@pytest.mark.parametrize("on, window", [("2023-12-02", 7), ("2023-11-20", 1), ("2023-12-19", 30), ("2024-03-01", 7)])
def test_the_count_table_matches_a_direct_filter_and_groupby(small_layer, on, window):
    table = event_counts.count_table(small_layer)
    rows = rows_in_window(small_layer, on, window)
    t = event_counts.totals(table, on, window)
    assert t["count"] == len(rows)
    assert t["fatalities"] == int(rows["fatalities"].sum())
    assert t["by_governorate"] == {k: int(v) for k, v in rows["pcode"].value_counts().sort_index().items()}
    blocks, govs, unplaced = event_counts.by_area(table, on, window)
    direct = rows[rows["block_id"].notna()].groupby("block_id")
    assert blocks.set_index("block_id")["events"].to_dict() == direct.size().to_dict()
    assert blocks.set_index("block_id")["fatalities"].to_dict() == \
        {k: int(v) for k, v in direct["fatalities"].sum().items()}
    assert blocks.set_index("block_id")["fatalities_reported"].to_dict() == direct["fatalities"].count().to_dict()
    day = rows["date"].dt.normalize()  # first and last calendar day of each block's events in the window
    assert blocks.set_index("block_id")["first_date"].to_dict() == day.groupby(rows["block_id"]).min().to_dict()
    assert blocks.set_index("block_id")["last_date"].to_dict() == day.groupby(rows["block_id"]).max().to_dict()
    no_block = rows[rows["block_id"].isna()]
    assert govs.set_index("pcode")["events"].to_dict() == no_block[no_block["pcode"].notna()].groupby("pcode").size().to_dict()
    assert unplaced == int((no_block["pcode"].isna()).sum())


def test_the_count_table_of_a_workspace_layer_is_read_once_per_layer_file(ws, small_layer):
    from pipeline.runtime import workspace

    entry = workspace.save_layer("small", small_layer, origin="small.csv", meta={"kind": "events"})
    first = event_counts.table_for(entry)
    assert event_counts.table_for(entry) is first  # kept in memory for the same file (sha256)
    assert event_counts.totals(first, "2023-12-02", 7)["count"] == len(rows_in_window(small_layer, "2023-12-02", 7))
    got = event_counts.rows_in_window(entry, "2023-12-02", 7)
    assert sorted(got["event_id"]) == sorted(rows_in_window(small_layer, "2023-12-02", 7)["event_id"])


# ---------------------------------------------------------------- large layers reach the map as aggregates


def _events_in_blocks(n: int) -> gpd.GeoDataFrame:
    blocks = load_geolayer("blocks").head(6)
    pts = blocks.geometry.representative_point().to_numpy()
    take = np.arange(n) % len(blocks)
    return gpd.GeoDataFrame({"event_id": [f"x{i}" for i in range(n)],
                             "date": pd.Timestamp("2023-12-01"), "kind": "airstrike",
                             "block_id": pd.array(blocks["block_id"].to_numpy()[take], dtype="Int64"),
                             "pcode": pd.array(blocks["pcode"].to_numpy()[take], dtype="string"),
                             "fatalities": pd.array(np.ones(n, dtype=int), dtype="Int64"),
                             "location": "<b>somewhere</b>", "notes": "row text"},
                            geometry=list(pts[take]), crs=4326)


@pytest.mark.parametrize("by_table", [True, False])
def test_a_large_imported_layer_reaches_the_map_as_counts_not_points(monkeypatch, by_table):
    monkeypatch.setenv(settings.MAP_POINT_LIMIT.env, "20")
    events = _events_in_blocks(60)
    entry = {"name": "big-points", "kind": "events", "acled": False, "rows": len(events)}
    asked = []
    layer = prepare_workspace_layer(
        entry, None if by_table else events, on=date(2023, 12, 2), window=7,
        blocks=load_geolayer("blocks"), governorates=load_geolayer("governorates"),
        counts=event_counts.count_table(events) if by_table else None,
        window_rows=lambda: asked.append(1) or events)
    strings = map_payload.Strings()
    item = map_payload._workspace([layer], strings)[0]
    assert item["aggregated"] and item["count"] == 60
    assert len(item["points"]) == 6  # one per block, not one per event
    assert "over 20 events" in item["detail"] and "counts, not points" in item["detail"]
    tips = " ".join(" ".join(strings.items[i] for i in p[3]) for p in item["points"])
    assert "60" not in tips or "event(s)" in tips
    assert "somewhere" not in tips and "row text" not in tips  # no row's text in an aggregate
    assert asked == []  # the rows were never read
    # each block's circle sits on the block (its representative point) and its tooltip reads as written
    blocks = load_geolayer("blocks").head(6).set_index("block_id")
    for p in item["points"]:
        first = strings.items[p[3][0]]
        bid = int(first.split(":")[0].removeprefix("Block "))
        assert first == f"Block {bid}: 10 event(s)"  # no space before the colon
        here = blocks.loc[bid].geometry.representative_point()
        assert (p[0], p[1]) == (round(here.x, 5), round(here.y, 5))
    # the lines sent are the tooltip's own lines (made with it, not parsed from it)
    assert list(layer.frame["tip_lines"]) == [map_payload.lines(t) for t in layer.frame["tip"]]


def test_a_small_imported_layer_is_drawn_as_points_read_for_the_window(monkeypatch):
    monkeypatch.setenv(settings.MAP_POINT_LIMIT.env, "100")
    events = _events_in_blocks(12)
    entry = {"name": "few-points", "kind": "events", "acled": False, "rows": len(events)}
    layer = prepare_workspace_layer(entry, None, on=date(2023, 12, 2), window=7,
                                    blocks=load_geolayer("blocks"), governorates=load_geolayer("governorates"),
                                    counts=event_counts.count_table(events), window_rows=lambda: events)
    strings = map_payload.Strings()
    item = map_payload._workspace([layer], strings)[0]
    assert not item["aggregated"] and len(item["points"]) == 12
    assert "<b>somewhere</b>" in " ".join(" ".join(strings.items[i] for i in p[3]) for p in item["points"])  # the row's text, as text
