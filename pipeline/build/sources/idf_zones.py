"""GazaMaps' per-period block layers (``orders/idf-zones/IDF_zone_*.geojson``) as an order source.

File layout (15 files, from mushon/nibal, data from gazamaps.com):

* one row per (order, block outline): a block named by three orders of a period appears three
  times, so a period file is the union of several orders;
* ``Block`` is a float: ``642.0`` is grid block 642, ``642.1`` is sub-block 1 of 642 (drawn with
  its own outline); ``9999`` is a whole-area polygon (19 Oct 2025 file); ``0`` is an unlabelled
  polygon (one row of the 6 Oct 2024 file, null status);
* ``StatusText`` is ``Displaced`` or ``Safe`` (two rows have none);
* ``GazaMaps`` is the order's page ``https://gazamaps.com/displacement/<id>``, the same id as the
  order list (``gazamaps-orders.json``); ``Source`` is the IDF post (an X status URL);
* ``Date`` is an RFC-1123 GMT timestamp, except in the 19 Oct 2025 file, which writes it in Hebrew
  (local time, zone not stated).

Pure functions: paths and frames in, frames out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.core.errors import InputError

ZONES_DIR = "orders/idf-zones/"
SOURCE_ZONES = "GazaMaps period layers (mushon/nibal), block outlines of each order"

TWITTER_EPOCH_MS = 1288834974657
STATUS_RE = re.compile(r"(?:x|twitter)\.com/[^/]+/status(?:es)?/(\d+)", re.I)
GAZAMAPS_ID_RE = re.compile(r"gazamaps\.com/displacement/(\d+)")
HEBREW_MONTHS = {"בינו׳": 1, "בפבר׳": 2, "במרץ": 3, "באפר׳": 4, "במאי": 5, "ביוני": 6, "ביולי": 7,
                 "באוג׳": 8, "בספט׳": 9, "באוק׳": 10, "בנוב׳": 11, "בדצמ׳": 12}
PERIOD_RE = re.compile(r"IDF_zone_(.+?)(?:_NEW)?\.geojson$")
WHOLE_AREA_BLOCK = 9999
REQUIRED = ("Block", "StatusText", "GazaMaps", "Source", "Date")


def status_time(url: str | None) -> datetime | None:
    """UTC time encoded in an X/Twitter status id (a snowflake), or None when ``url`` is not a status URL.

    ``((id >> 22) + 1288834974657)`` is milliseconds since the Unix epoch.
    """
    if not url:
        return None
    m = STATUS_RE.search(str(url))
    if not m:
        return None
    ms = (int(m[1]) >> 22) + TWITTER_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def gazamaps_id(url: str | None) -> int | None:
    """``https://gazamaps.com/displacement/11`` -> 11; None when the text holds no such link."""
    m = GAZAMAPS_ID_RE.search(str(url or ""))
    return int(m[1]) if m else None


def parse_zone_date(text: object) -> datetime | None:
    """The ``Date`` field: RFC-1123 GMT gives an aware UTC datetime; the Hebrew short form gives a naive
    local datetime (its zone is not stated); anything else gives None."""
    s = str(text).strip()
    try:
        return datetime.strptime(s, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=timezone.utc)
    except ValueError:
        pass
    m = re.fullmatch(r"(\d{1,2}) (\S+) (\d{4}), (\d{1,2}):(\d{2})", s)
    if m and m[2] in HEBREW_MONTHS:
        return datetime(int(m[3]), HEBREW_MONTHS[m[2]], int(m[1]), int(m[4]), int(m[5]))
    return None


def split_block(value: float | str) -> tuple[int, int | None]:
    """``642.1`` -> (642, 1); ``642.0`` or ``642`` -> (642, None). Float noise is rounded away."""
    s = f"{float(value):.3f}".rstrip("0").rstrip(".")
    whole, _, sub = s.partition(".")
    return int(whole), (int(sub) if sub else None)


def block_label(value: float | str) -> str:
    """Canonical text id as GazaMaps' list writes it: ``642``, ``642.1``."""
    whole, sub = split_block(value)
    return f"{whole}.{sub}" if sub is not None else str(whole)


def period_of(path: str | Path) -> str:
    """``IDF_zone_041223-281223_NEW.geojson`` -> ``041223-281223`` (the file's own label, DDMMYY)."""
    m = PERIOD_RE.search(Path(path).name)
    return m[1] if m else Path(path).stem


def read_zone_file(path: str | Path, *, label: str | None = None) -> gpd.GeoDataFrame:
    """One period file as a tidy frame, one row per (order, block outline, status).

    Columns: ``file``, ``period``, ``gazamaps_id``, ``status_url``, ``posted_utc`` (decoded from the
    status id), ``date_field`` (parsed ``Date``), ``status`` (``displaced``/``safe``/None),
    ``raw_block`` (text, e.g. ``642.1``), ``block_id`` (parent), ``sub`` (sub-block number or NA),
    ``area_km2_source`` and ``geometry`` (EPSG:4326, made valid). Exact duplicate rows are kept
    (callers work on sets).
    """
    p = Path(path)
    label = label or p.name
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
        feats = raw["features"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"cannot be read as GeoJSON ({exc})", file=label) from exc
    gdf = gpd.GeoDataFrame.from_features(feats, crs=4326)  # the file without a crs member is lon/lat too
    for col in REQUIRED:
        if col not in gdf.columns:
            raise InputError(f"missing property '{col}'", file=label, field=col)
    out = pd.DataFrame({
        "file": p.name,
        "period": period_of(p),
        "gazamaps_id": pd.array([gazamaps_id(u) for u in gdf["GazaMaps"]], dtype="Int64"),
        "status_url": gdf["Source"].astype(str),
        "posted_utc": [status_time(u) for u in gdf["Source"]],
        "date_field": [parse_zone_date(t) for t in gdf["Date"]],
        "status": [None if s is None or s != s else str(s).strip().lower() for s in gdf["StatusText"]],
        "raw_block": [block_label(b) for b in gdf["Block"]],
        "block_id": [split_block(b)[0] for b in gdf["Block"]],
        "sub": pd.array([split_block(b)[1] for b in gdf["Block"]], dtype="Int64"),
        "area_km2_source": pd.to_numeric(gdf["Area"], errors="coerce") if "Area" in gdf else None,
    })
    return gpd.GeoDataFrame(out, geometry=list(shapely.make_valid(gdf.geometry.values)), crs=4326)


def read_zone_dir(directory: str | Path) -> gpd.GeoDataFrame:
    """All ``IDF_zone_*.geojson`` files of a folder, concatenated in file-name order."""
    files = sorted(Path(directory).glob("IDF_zone_*.geojson"))
    if not files:
        raise InputError("no IDF_zone_*.geojson file", file=ZONES_DIR)
    return gpd.GeoDataFrame(pd.concat([read_zone_file(f, label=ZONES_DIR + f.name) for f in files],
                                      ignore_index=True), crs=4326)


def order_block_sets(zones: pd.DataFrame, status: str = "displaced") -> dict[int, set[str]]:
    """{gazamaps id: set of block labels} for one status, over all files."""
    z = zones[(zones["status"] == status) & zones["gazamaps_id"].notna()]
    return {int(cast(float, k)): set(g["raw_block"]) for k, g in z.groupby("gazamaps_id")}  # a numeric column


def sub_block_outlines(zones: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One outline per distinct sub-block label (``642.1`` ...) whose parent is a grid block.

    The outline is the first drawn, clipped to its parent block; ``variants`` counts the distinct
    geometries the files hold for the label (1 for every label as shipped), ``share_of_parent`` its area
    share. Columns: ``sub_block_id``, ``block_id``, ``variants``, ``files``, ``share_of_parent``, geometry.
    """
    parents = blocks.set_index("block_id").geometry
    s = zones[zones["sub"].notna() & zones["block_id"].isin(parents.index)].copy()
    s["wkb"] = [shapely.to_wkb(shapely.set_precision(g, 1e-7)) for g in s.geometry]
    rows = []
    for lab, g in s.groupby("raw_block", sort=True):
        bid = int(g["block_id"].iloc[0])
        geom = shapely.make_valid(g.geometry.iloc[0].intersection(parents.loc[bid]))
        geom = shapely.union_all([p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")])
        rows.append({"sub_block_id": lab, "block_id": bid, "variants": int(g["wkb"].nunique()),
                     "files": ", ".join(sorted(set(g["file"]))), "geometry": geom})
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    a = out.to_crs("EPSG:32636").area
    pa = gpd.GeoSeries(np.asarray(parents.loc[out["block_id"]]), crs=blocks.crs).to_crs("EPSG:32636").area
    out["share_of_parent"] = (a.to_numpy() / pa.to_numpy()).round(4)
    return out.sort_values(["block_id", "sub_block_id"]).reset_index(drop=True)


@dataclass(frozen=True)
class SetDiff:
    """How a period file's block set for one order differs from the order list's."""

    gazamaps_id: int
    status: str
    only_in_list: tuple[str, ...]
    only_in_zones: tuple[str, ...]

    @property
    def equal(self) -> bool:
        return not self.only_in_list and not self.only_in_zones


def compare_with_list(zones: pd.DataFrame, listed: dict[int, set[str]], status: str = "displaced") -> list[SetDiff]:
    """Per GazaMaps order present in ``zones`` (with rows of ``status``): ids the list names that no zone row
    has, and the reverse. Labels are normalised with :func:`block_label` (``"42.10"`` equals ``42.1``)."""
    have = order_block_sets(zones, status)
    out = []
    for gid in sorted(have):
        a = {block_label(x) for x in listed.get(gid, set()) if re.fullmatch(r"\d+(\.\d+)?", x)}
        b = have[gid]
        out.append(SetDiff(gid, status, tuple(sorted(a - b, key=float)), tuple(sorted(b - a, key=float))))
    return out
