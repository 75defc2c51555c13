"""Import a user's file into the workspace: detect, read, validate, report, save.

``import_file(path)`` returns a JSON-ready report: rows read, accepted,
rejected (each with row number, field and reason), repairs, warnings and the
layer(s) written. An import is all-or-nothing per file: when any row is
rejected nothing is written unless ``accept_partial`` is set. Row numbers are
the row as a spreadsheet shows it (header = row 1; an HXL tag row = row 2), or
the feature number (from 1) for geodata files.

Checks on points (vectorised): unreadable or missing coordinates, latitude and
longitude swapped (outside the Strip, inside once swapped), points outside the
Strip (beyond ``strip_tolerance_m``), unknown block ids, duplicate events,
dates in the future, and dates before 2023-10-07 when most of the file's dates
are after it (the file is about this war). Points beyond the tolerance are kept
and flagged (``location_type`` ``offshore`` or ``border``, ``outline_distance_m``) when they lie
at sea west of the coast within ``offshore_band_m`` (ACLED's "Coast of Gaza City": naval fire,
fishers) or on land within ``border_band_m`` (the fence, the crossings), and the row names a
governorate: they count there and in no block; other points inside the Strip are
``location_type`` ``strip``. Points are joined to blocks and
governorates on their coordinates (``_first_hit``: the first polygon in layer order), or, on the PostGIS
workspace, in the database after the rows are COPYed, by the same rule (``import_join``). Events keep
their coordinates as two arrays until stored (``point_rows``). On PostGIS an events CSV is read, checked and
COPYed to a staging table a chunk at a time, and the checks that need the whole file run on what the chunks
left, partly in SQL (``import_stage``, :func:`_import_staged`): the same report as the whole-file read. Text is stored as given (data, never
markup); the dashboard escapes it.

Overlaps: a file imported again (same sha256) replaces the layer it made; events whose own id
(ACLED ``event_id_cnty`` ...) is already in another layer of the same dataset are reported as
"N event(s) already in layer X" and removed from X (the newest import wins) unless
``keep_duplicates``.

Series (``--as series``): a dated table with or without a place column (a crossing, a governorate
pcode or name) is summed to days per date x place x category x metric (:func:`finish_series`,
:func:`series_days`); a line list without a count column counts its rows. The unit is stated
(``--unit``), else read from the file, else the value column's name; the report's ``series`` says
which, and ``no_value`` lists the rows whose date or value is "-" or blank (left out, never 0).

CLI: ``python -m pipeline import PATH [--as acled|hxl|csv|zones|series|orders] [--unit UNIT] [--value COLUMN]
[--dry-run] [--accept-partial] [--keep-duplicates]``.
"""

from __future__ import annotations

import errno
import json
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from pyproj import Transformer

from pipeline.core import settings
from pipeline.core.dates import slash_orders_seen
from pipeline.core.errors import InputError
from pipeline.core.i18n import N_, msg
from pipeline.core.layers import AREA_CRS, area_km2
from pipeline.core.storage import sha256_file
from pipeline.runtime import import_stage, import_stream, workspace
from pipeline.runtime.bundle import load_geolayer, load_manifest
from pipeline.runtime.detect import Detected, Parsed, Problem, detect, release_pool
from pipeline.runtime.import_join import block_mismatch_warning, differs_warning, join_layer, no_block_warning
from pipeline.runtime.point_rows import PointRows, StagedRows
from pipeline.runtime.readers.acled import acled_attribution, read_acled
from pipeline.runtime.readers.csv_points import read_csv_points
from pipeline.runtime.readers.hxl import read_hxl
from pipeline.runtime.readers.orders import read_orders
from pipeline.runtime.readers.qualified import sum_qualifier
from pipeline.runtime.readers.series import read_series
from pipeline.runtime.readers.zone_files import read_zone_files, truncation_message
from pipeline.runtime.user_orders import finish_orders
from pipeline.runtime.workspace_postgis import PostgisBackend

WAR_START = date(2023, 10, 7)
MAX_LISTED = 1000  # rejections listed in a report (all are counted)
EVENT_COLUMNS = ("event_id", "date", "kind", "fatalities", "location", "pcode", "block_id", "dataset",
                 "source", "source_url", "geo_precision", "notes")
EXTRA_EVENT_COLUMNS = ("figure", "figure_tag", "location_ar", "sub_block_id", "location_type", "outline_distance_m",
                       "fatalities_qualifier", "figure_qualifier", "event_type", "sub_event_type")
_MARKUP = re.compile(r"<\s*[a-zA-Z!/]|javascript:", re.I)


# ---------------------------------------------------------------- reference layers


# The Mediterranean coast either side of the Strip (lon, lat), approximate (about 1 km): Egypt's coast from
# El Arish to the Rafah border, and Israel's from the Zikim beach to Ashdod. Joined to the Strip's own
# coast (the outline's western edge) and closed far out at sea, it bounds "at sea" for offshore events.
_COAST_SOUTH = ((33.55, 31.12), (33.80, 31.15), (34.11, 31.245))
_COAST_NORTH = ((34.51, 31.61), (34.555, 31.67), (34.64, 31.82))
_FAR_SEA = ((34.30, 32.30), (33.20, 31.80))


def _strip_coast(outline: shapely.Polygon) -> np.ndarray:
    """The outline's coastal edge, from its south-western to its northern tip (the westerly of the two paths)."""
    ring = np.asarray(outline.exterior.coords)[:-1]
    sw, nw = int(np.argmin(ring[:, 0])), int(np.argmax(ring[:, 1]))
    lo, hi = min(sw, nw), max(sw, nw)
    inner = ring[lo:hi + 1]
    outer = np.vstack([ring[hi:], ring[:lo + 1]])[::-1]
    d = ring[nw] - ring[sw]

    def seaward(path: np.ndarray) -> float:  # mean offset to the north-west of the tip-to-tip chord
        q = path - ring[sw]
        return float(np.mean(d[0] * q[:, 1] - d[1] * q[:, 0]))

    path = max((inner, outer), key=seaward)
    return path if np.allclose(path[0], ring[sw]) else path[::-1]


def _sea(outline: shapely.Polygon) -> shapely.geometry.base.BaseGeometry:
    coast = [*_COAST_SOUTH, *map(tuple, _strip_coast(outline)), *_COAST_NORTH, *_FAR_SEA]
    return shapely.make_valid(shapely.Polygon(coast))


# GEOS prepared geometries are not thread-safe (libgeos/geos#825): a predicate on a prepared polygon builds
# and mutates indexes inside it, so two threads testing the cached Strip bands at once crashed the interpreter
# (``intersects`` of zones against the prepared band). Every predicate on the shared reference geometries,
# and the first build of the reference itself, holds this lock.
_REFERENCE_LOCK = threading.RLock()


@lru_cache(maxsize=4)
def _reference(tolerance_m: float, offshore_m: float, border_m: float, built_at: str) -> dict[str, Any]:
    strip = load_geolayer("strip")
    blocks = load_geolayer("blocks")[["block_id", "pcode", "geometry"]]
    govs = load_geolayer("governorates")[["pcode", "geometry"]]
    outline = strip.union_all()
    if not isinstance(outline, shapely.Polygon):
        outline = max(shapely.get_parts(outline), key=lambda g: g.area)
        assert isinstance(outline, shapely.Polygon)  # the Strip's largest part is a polygon
    outline_utm = strip.to_crs(AREA_CRS).union_all()
    _ = blocks.sindex, govs.sindex  # built here once, not by two first joins at the same time

    def band(metres: float) -> Any:
        g = gpd.GeoSeries([outline_utm.buffer(metres)], crs=AREA_CRS).to_crs(4326).iloc[0]
        shapely.prepare(g)
        return g

    zone = band(tolerance_m)
    offshore = shapely.intersection(band(max(offshore_m, tolerance_m)), _sea(outline))
    shapely.prepare(offshore)
    return {"zone": zone, "offshore": offshore, "border": band(max(border_m, tolerance_m)),
            "outline_utm": outline_utm, "blocks": blocks, "govs": govs,
            "block_ids": set(blocks["block_id"].astype(int).tolist()),
            "to_utm": Transformer.from_crs(4326, AREA_CRS, always_xy=True)}


def reference() -> dict[str, Any]:
    """Strip (buffered by ``strip_tolerance_m``), offshore and border bands, blocks and governorates (cached).

    Its prepared geometries (``zone``, ``offshore``, ``border``) are shared by every import of the
    process: use them only while holding ``_REFERENCE_LOCK``.
    """
    with _REFERENCE_LOCK:
        return _reference(settings.get(settings.STRIP_TOLERANCE_M), settings.get(settings.OFFSHORE_BAND_M),
                      settings.get(settings.BORDER_BAND_M), str(load_manifest().get("built_at")))


# ---------------------------------------------------------------- reading


def read_any(path: Path, det: Detected, display: str, tmpdir: Path, *, unit: str | None = None,
             value: str | None = None) -> list[Parsed]:
    """Run the reader for the detected format; a file may hold several layers (GeoPackage)."""
    if det.fmt == "series":
        return [read_series(path, det, display, unit=unit, value=value)]
    if det.fmt == "acled":
        return [read_acled(path, det, display)]
    if det.fmt == "hxl":
        return [read_hxl(path, det, display)]
    if det.fmt == "csv":
        return [read_csv_points(path, det, display)]
    if det.fmt == "orders":  # the user's own evacuation orders (only when declared: --as orders)
        return read_orders(path, det, display, tmpdir)
    return read_zone_files(path, det, display, tmpdir)


# ---------------------------------------------------------------- checks


def _future_dates(dates: pd.Series, rows: pd.Series, field: str, layer: str | None) -> list[Problem]:
    today = pd.Timestamp(datetime.now(timezone.utc).date())
    future = dates > today
    return [Problem(int(r), field, msg(N_("date {date} is in the future"), date=d.date()), fix=msg(N_("check the year")),
                    layer=layer)
            for r, d in zip(rows[future], dates[future], strict=True)]


def _before_war(rows: pd.Series | np.ndarray, dates: pd.Series | np.ndarray, n: int, field: str,
                claims_war: bool | None, layer: str | None) -> tuple[list[Problem], list[str]]:
    """The ``n`` rows dated before the war: problems when the file is about the war (for the ``rows``/``dates``
    given: all, or the first of them), else one warning."""
    if not n:
        return [], []
    if claims_war:
        return [Problem(int(r), field, msg(N_("date {date} is before 2023-10-07, but the file is about the war "
                                              "that began then (most of its dates are later)"), date=pd.Timestamp(d).date()),
                        fix=msg(N_("check the year")), layer=layer)
                for r, d in zip(rows, dates, strict=True)], []
    return [], [msg(N_("{n} row(s) dated before 2023-10-07 kept (the file covers earlier years)"), n=n)]


def _dates_check(dates: pd.Series, rows: pd.Series, field: str, claims_war: bool | None,
                 layer: str | None) -> tuple[list[Problem], list[str]]:
    """Dates in the future (problems) and before the war (problems when the file is about the war, else one
    warning): the whole file at once, by the same rule as the chunks of a staged import."""
    facts = import_stage.FileFacts()
    _war_facts(facts, dates, rows, field, claims_war)
    _, p_before, warnings = file_war_check(facts, None, layer)
    return _future_dates(dates, rows, field, layer) + p_before, warnings


def _war_facts(facts: import_stage.FileFacts, dates: pd.Series, rows: pd.Series, field: str,
               claims_war: bool | None) -> None:
    """A chunk's share of what :func:`_dates_check` needs of the whole file (summed in ``facts``)."""
    valid = dates.notna()
    war = pd.Timestamp(WAR_START)
    before = valid & (dates < war)
    facts.claims_war, facts.date_field = claims_war, field
    facts.valid += int(valid.sum())
    facts.after += int((valid & (dates >= war)).sum())
    if before.any():
        facts.before_rows.append(rows[before].to_numpy(dtype=np.int64))
        facts.before_dates.append(dates[before].to_numpy())


def file_war_check(facts: import_stage.FileFacts, most: int | None, layer: str | None = None
                   ) -> tuple[np.ndarray, list[Problem], list[str]]:
    """The rows dated before the war, judged on the whole file from the chunks' facts: (rows rejected, the first
    ``most`` problems (None: all), warnings)."""
    claims = facts.claims_war
    if claims is None and facts.valid:
        claims = facts.after / facts.valid >= 0.5
    rows = np.concatenate(facts.before_rows) if facts.before_rows else np.empty(0, dtype=np.int64)
    dates = np.concatenate(facts.before_dates) if facts.before_dates else np.empty(0, dtype="datetime64[ns]")
    problems, warnings = _before_war(rows[:most], dates[:most], len(rows), facts.date_field, claims, layer)
    return (rows if claims else rows[:0]), problems, warnings


def _rejected_outside(ref: dict[str, Any], rows: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                      dist_m: np.ndarray, fields: str, layer: str | None) -> list[Problem]:
    tol = settings.get(settings.STRIP_TOLERANCE_M)
    sea = settings.get(settings.OFFSHORE_BAND_M) / 1000.0
    border = settings.get(settings.BORDER_BAND_M)
    why = msg(N_("beyond the tolerance of {tol:,.0f} m (strip_tolerance_m, {tol_env}), "
                 "the offshore band ({sea:,.0f} km at sea, {sea_env}) and the border band "
                 "({border:,.0f} m on land, {border_env})"), tol=tol, tol_env=settings.STRIP_TOLERANCE_M.env,
              sea=sea, sea_env=settings.OFFSHORE_BAND_M.env, border=border, border_env=settings.BORDER_BAND_M.env)
    fix = msg(N_("only points in the Gaza Strip, at sea off it or at its border can be imported; if the point is "
                 "right, raise {env}"), env=settings.STRIP_TOLERANCE_M.env)
    return [Problem(int(r), fields, msg(N_("({lat:g}, {lon:g}) lies outside the Gaza Strip ({km:,.1f} km from its "
                                           "outline): {why}"), lat=a, lon=b, km=d / 1000, why=why) if np.isfinite(d)
                    else msg(N_("({lat:g}, {lon:g}) lies outside the Gaza Strip (far away): {why}"), lat=a, lon=b, why=why),
                    fix=fix, layer=layer)
            for r, a, b, d in zip(rows, lat, lon, dist_m, strict=True)]


def _points_check(f: pd.DataFrame, layer: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Problem]]:
    """Classify coordinates: (inside mask, place, metres outside the outline, problems).

    ``place`` is ``offshore`` or ``border`` for points kept outside the outline (else None), with
    their distance to it; swapped, out-of-range and far-away points are problems.
    """
    ref = reference()
    lat = pd.to_numeric(f["lat"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(f["lon"], errors="coerce").to_numpy(dtype=float)
    rows = f["_row"].to_numpy()
    lat_f = f.attrs.get("lat_field", "latitude")
    lon_f = f.attrs.get("lon_field", "longitude")
    have = np.isfinite(lat) & np.isfinite(lon)
    out_of_range = have & ((np.abs(lat) > 90) | (np.abs(lon) > 180))
    ok = have & ~out_of_range
    inside = np.zeros(len(f), dtype=bool)
    swapped = np.zeros(len(f), dtype=bool)
    offshore = np.zeros(len(f), dtype=bool)
    border = np.zeros(len(f), dtype=bool)
    dist_m = np.full(len(f), np.nan)
    with _REFERENCE_LOCK:
        inside[ok] = shapely.contains_xy(ref["zone"], lon[ok], lat[ok])
        cand = ok & ~inside
        swapped[cand] = shapely.contains_xy(ref["zone"], lat[cand], lon[cand])
        beyond = cand & ~swapped
        offshore[beyond] = shapely.contains_xy(ref["offshore"], lon[beyond], lat[beyond])
        rest = beyond & ~offshore
        border[rest] = shapely.contains_xy(ref["border"], lon[rest], lat[rest])
        if beyond.any():
            x, y = ref["to_utm"].transform(lon[beyond], lat[beyond])
            with np.errstate(invalid="ignore"):
                dist_m[beyond] = shapely.distance(ref["outline_utm"], shapely.points(x, y))
    outside = rest & ~border
    place = np.full(len(f), None, dtype=object)
    place[offshore] = "offshore"
    place[border] = "border"
    problems: list[Problem] = []
    for r, a, b in zip(rows[out_of_range], lat[out_of_range], lon[out_of_range], strict=True):
        problems.append(Problem(int(r), f"{lat_f}/{lon_f}", msg(N_("({lat:g}, {lon:g}) is not latitude/longitude in degrees"),
                                                             lat=a, lon=b),
                                fix=msg(N_("convert projected coordinates to EPSG:4326 degrees")), layer=layer))
    for r, a, b in zip(rows[swapped], lat[swapped], lon[swapped], strict=True):
        problems.append(Problem(int(r), f"{lat_f}/{lon_f}",
                                msg(N_("latitude and longitude look swapped: ({lat:g}, {lon:g}) lies outside the Gaza "
                                       "Strip, swapped it lies inside"), lat=a, lon=b),
                                fix=msg(N_("swap the two columns")), layer=layer))
    problems += _rejected_outside(ref, rows[outside], lat[outside], lon[outside], dist_m[outside],
                                  f"{lat_f}/{lon_f}", layer)
    return inside, place, np.where(offshore | border, np.round(dist_m), np.nan), problems


def _block_text(frame: pd.DataFrame, mask: pd.Series) -> list[str]:
    """The block ids of ``mask``'s rows as written: ``642``, or ``642.1`` for a sub-block."""
    ids = [str(int(b)) for b in frame.loc[mask, "block_id"]]
    if "sub_block_id" not in frame:
        return ids
    subs = frame.loc[mask, "sub_block_id"].tolist()
    return [i if pd.isna(sb) else msg(N_("{sub} (block {block})"), sub=sb, block=i) for i, sb in zip(ids, subs, strict=True)]


def _row_list(rows: pd.Series | np.ndarray, most: int = 20) -> str:
    """``row 4`` / ``rows 4, 7, 9 ...`` for a warning (the first ``most``)."""
    r = np.asarray(rows)
    head = ", ".join(str(int(x)) for x in r[:most])
    listed = msg(N_("{rows} ... ({n:,} in all)"), rows=head, n=len(r)) if len(r) > most else head
    return msg(N_("rows {rows}"), rows=listed) if len(r) > 1 else msg(N_("row {rows}"), rows=listed)


def _outside_kept(f: pd.DataFrame, place: np.ndarray, dist_m: np.ndarray, hint: pd.Series, layer: str | None
                  ) -> tuple[np.ndarray, list[Problem], list[str]]:
    """Offshore/border rows: kept when the row names a governorate, else a problem; (place, problems, warnings)."""
    rows = f["_row"]
    place = place.copy()
    outer = pd.Series(place, index=f.index).notna()
    if not outer.any():
        return place, [], []
    unnamed = (outer & hint.isna()).to_numpy()
    fields = f.attrs.get("lat_field", "latitude") + "/" + f.attrs.get("lon_field", "longitude")
    problems = [Problem(int(r), fields, msg(N_("lies at sea {m:,.0f} m outside the Gaza Strip's outline and the row names no "
                                           "governorate to count it in (a point for the whole territory is often "
                                           "placed there)"), m=d) if k == "offshore" else
                        msg(N_("lies on land {m:,.0f} m outside the Gaza Strip's outline and the row names no "
                               "governorate to count it in (a point for the whole territory is often placed there)"),
                            m=d),
                        fix=msg(N_("add the governorate (admin2) the event belongs to, or correct the coordinates")),
                        layer=layer)
                for r, k, d in zip(rows[unnamed], place[unnamed], dist_m[unnamed], strict=True)]
    place[unnamed] = None
    kept = outer.to_numpy() & ~unnamed
    return place, problems, [_near_warning(place, rows)] if kept.any() else []


def _near_warning(place: np.ndarray, rows: pd.Series) -> str:
    sea = settings.get(settings.OFFSHORE_BAND_M) / 1000.0
    border = settings.get(settings.BORDER_BAND_M)
    off, bor = rows[place == "offshore"], rows[place == "border"]
    parts = []
    if len(off):
        parts.append(msg(N_("{n} offshore (at sea, up to {sea:,.0f} km; {rows})"), n=len(off), sea=sea,
                         rows=_row_list(off)))
    if len(bor):
        parts.append(msg(N_("{n} at the border (on land, up to {border:,.0f} m; {rows})"), n=len(bor),
                         border=border, rows=_row_list(bor)))
    found = parts[0] if len(parts) == 1 else msg(N_("{first}; {second}"), first=parts[0], second=parts[1])
    return msg(N_("{n} event(s) outside the Strip's outline kept and flagged (location_type, "
                  "outline_distance_m): {found}; counted by the governorate the row names, in no block"),
               n=len(off) + len(bor), found=found)


def _text_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c != "geometry" and not str(c).startswith("_")
            and (frame[c].dtype == object or str(frame[c].dtype) == "string")]


def _cap_text(frame: pd.DataFrame) -> list[str]:
    """Cut text values longer than ``max_text_chars`` (in place); a warning names each row and field."""
    cut = _cap_cut(frame)
    return _cap_words(cut, len(cut))


def _cap_cut(frame: pd.DataFrame) -> list[str]:
    """Cut text values longer than ``max_text_chars`` (in place); each one named (row, field, length)."""
    cap = settings.get(settings.MAX_TEXT_CHARS)
    cut: list[str] = []
    for c in _text_columns(frame):
        lengths = frame[c].astype("string").str.len()
        long = (lengths > cap).fillna(False).astype(bool)
        if long.any():
            frame.loc[long, c] = frame.loc[long, c].astype("string").str.slice(0, cap)
            where = frame.loc[long, "_row"] if "_row" in frame else pd.Series(frame.index[long] + 1)
            cut += [msg(N_("row {row} {field} ({n:,} characters)"), row=int(r), field=c, n=int(n)) for r, n in zip(where, lengths[long], strict=True)]
    return cut


def _cap_words(cut: list[str], n: int) -> list[str]:
    """The warning for ``n`` texts cut, the first of them named in ``cut``."""
    if not n:
        return []
    cap = settings.get(settings.MAX_TEXT_CHARS)
    return [msg(N_("{n} text value(s) longer than {cap:,} characters cut to {cap:,} (max_text_chars, {env}): "
                   "{cut}"), n=n, cap=cap, env=settings.MAX_TEXT_CHARS.env,
                cut=msg(N_("{items} ..."), items=", ".join(cut[:20])) if n > 20 else ", ".join(cut[:20]))]


def _domain_check(gdf: pd.DataFrame, f: pd.DataFrame, found: list[Problem], layer: str | None) -> list[Problem]:
    """Fatalities beyond ``max_event_fatalities`` (or negative), and rows left without finite coordinates."""
    rows = f["_row"]
    cap = settings.get(settings.MAX_EVENT_FATALITIES)
    fat = pd.to_numeric(gdf["fatalities"], errors="coerce") if "fatalities" in gdf else pd.Series(dtype=float)
    field = f.attrs.get("fatalities_field", "fatalities")
    over = (fat > cap) | (fat < 0)
    problems = [Problem(int(r), field, msg(N_("{n:,} fatalities for one event is negative (at most {cap:,}: max_event_fatalities, "
                                           "{env})"), n=int(v), cap=cap, env=settings.MAX_EVENT_FATALITIES.env) if v < 0
                        else msg(N_("{n:,} fatalities for one event is implausible (at most {cap:,}: "
                                    "max_event_fatalities, {env})"), n=int(v), cap=cap,
                                 env=settings.MAX_EVENT_FATALITIES.env),
                        fix=msg(N_("check the figure; a total over many events is not one event")), layer=layer)
                for r, v in zip(rows[over.fillna(False)], fat[over.fillna(False)], strict=True)]
    finite = np.isfinite(gdf["lon"].to_numpy(float)) & np.isfinite(gdf["lat"].to_numpy(float))
    reported = {q.row for q in found}
    lacking = [int(r) for r in rows[~finite] if int(r) not in reported]
    problems += [Problem(r, f"{f.attrs.get('lat_field', 'latitude')}/{f.attrs.get('lon_field', 'longitude')}",
                         msg(N_("no finite coordinates (missing, NaN or infinite)")), layer=layer) for r in lacking]
    return problems


def _may_hold_markup(values: pd.Series) -> bool:
    """False when no value of ``values`` holds a ``<`` or a ``:`` (which ``javascript:`` needs): one scan of
    the column's bytes instead of a test per value; True means the values have to be tested."""
    try:
        arr = pa.array(values.array, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return True
    step = 8 << 20
    for chunk in (arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]):
        data = chunk.buffers()[2]
        if data is None:
            continue
        for i in range(0, data.size, step):
            part = data.slice(i, min(step, data.size - i)).to_pybytes()
            if b"<" in part or b":" in part:
                return True
    return False


def _markup_warning(frame: pd.DataFrame) -> list[str]:
    return _markup_words(_markup_count(frame))


def _markup_count(frame: pd.DataFrame) -> int:
    n = 0
    for c in _text_columns(frame):
        text = frame[c].astype("string")
        if not _may_hold_markup(text):
            continue
        # Plain substring searches (vectorised) find the few candidates; only those meet the regex.
        cand = (text.str.contains("<", regex=False, na=False)
                | text.str.contains("javascript:", case=False, regex=False, na=False))
        if cand.any():
            n += int(text[cand].str.contains(_MARKUP, na=False).sum())
    return n


def _markup_words(n: int) -> list[str]:
    if n:
        return [msg(N_("{n} text value(s) contain HTML-like markup: stored as plain text, shown escaped"), n=n)]
    return []


def _first_hit(polygons: gpd.GeoDataFrame, key: str, x: np.ndarray, y: np.ndarray) -> pd.Series:
    """``key`` of the first polygon (in layer order) each point ``(x[i], y[i])`` intersects (missing: none).

    The same answer as ``geopandas.sjoin(points, polygons, predicate="intersects")`` keeping the first match,
    without making a point geometry: the points are sorted by x once; each polygon takes the slice of its
    bounding box (``searchsorted``), keeps those inside it in y and not yet matched, and tests them with
    ``shapely.intersects_xy`` against itself prepared. Memory: a few arrays of the points' length.
    """
    geoms = np.asarray(polygons.geometry.values)
    values = polygons[key].to_numpy()
    bounds = shapely.bounds(geoms)
    order = np.argsort(x, kind="stable")
    xs = x[order]
    lo = np.searchsorted(xs, bounds[:, 0], side="left")
    hi = np.searchsorted(xs, bounds[:, 2], side="right")
    hit_by = np.full(len(x), -1, dtype=np.int64)
    with _REFERENCE_LOCK:  # the reference polygons are shared and prepared (see _REFERENCE_LOCK)
        shapely.prepare(geoms)
        for i, g in enumerate(geoms):
            idx = order[lo[i]:hi[i]]
            yi = y[idx]
            idx = idx[(yi >= bounds[i, 1]) & (yi <= bounds[i, 3])]
            idx = idx[hit_by[idx] < 0]
            if len(idx):
                hit_by[idx[shapely.intersects_xy(g, x[idx], y[idx])]] = i
    return pd.Series(pd.array(values).take(hit_by, allow_fill=True))  # -1: missing, in the key's own dtype


def _rowhash(f: pd.DataFrame, cols: list[str]) -> pd.Series:
    return pd.util.hash_pandas_object(f[cols].astype("string"), index=False)


def finish_events(p: Parsed, layer: str | None = None, *, join: bool = True,
                  facts: import_stage.FileFacts | None = None) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """Validate and join point rows; return (all rows with ``lon``/``lat`` and pcode/block_id, problems, warnings).

    ``join=False`` leaves the join to blocks and governorates to the database (``import_join``, PostGIS):
    ``pcode`` is then the governorate the row names and ``block_id`` the block it claims, until joined.
    With ``facts``, ``p`` is one chunk of a file (``import_stage``): the checks that need the whole file (dates
    before the war, duplicates) are not made and the warnings that count the whole file are not worded; what
    they need of this chunk goes into ``facts``.
    """
    f = p.frame.copy(deep=False)  # copy-on-write (pandas 3): a column is copied only when it is changed
    ref = reference()
    problems = list(p.problems)
    warnings = list(p.warnings)
    rows = f["_row"]
    # rows placed by block id only (no coordinates)
    blocks = ref["blocks"]
    if "block_id" in f and f["block_id"].notna().any():
        bf = f.attrs.get("block_field", "block_id")
        known = f["block_id"].isin(list(ref["block_ids"]))
        unknown = f["block_id"].notna() & ~known.fillna(False).astype(bool)
        problems += [Problem(int(r), bf, msg(N_("unknown block id {block} (not in the 1 Dec 2023 block grid)"), block=b),
                             fix=msg(N_("check the block number")), layer=layer)
                     for r, b in zip(rows[unknown], _block_text(f, unknown), strict=True)]
        nocoord = f["lat"].isna() & f["lon"].isna() & known.fillna(False).astype(bool)
        if nocoord.any():
            centres = blocks.set_index("block_id").geometry.representative_point()
            pts = centres.reindex(f.loc[nocoord, "block_id"].astype(int).to_numpy())
            f.loc[nocoord, "lon"] = pts.x.to_numpy()
            f.loc[nocoord, "lat"] = pts.y.to_numpy()
            f.loc[nocoord, "geo_precision"] = "block"
        none = f["lat"].isna() & f["lon"].isna() & f["block_id"].isna()
        problems += [Problem(int(r), "latitude/longitude", msg(N_("no coordinates and no block id")), layer=layer)
                     for r in rows[none]]
    inside, place, dist_m, p2 = _points_check(f, layer)
    problems += p2
    lon = f["lon"].to_numpy(float)
    lat = f["lat"].to_numpy(float)
    # spatial joins (vectorised, on the coordinates): governorate and block of each point inside the Strip
    spatial_pcode = pd.Series(pd.NA, index=f.index, dtype="string")
    spatial_block = pd.Series(pd.NA, index=f.index, dtype="Int64")
    if join and inside.any():
        xi, yi = lon[inside], lat[inside]
        spatial_pcode[inside] = _first_hit(ref["govs"], "pcode", xi, yi).astype("string").array
        spatial_block[inside] = _first_hit(blocks, "block_id", xi, yi).astype("Int64").array
        miss = inside & spatial_pcode.isna().to_numpy()
        if miss.any():  # inside the tolerance band past the outline: nearest governorate
            pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon[miss], lat[miss]), crs=4326,
                                   index=f.index[miss])
            near = gpd.sjoin_nearest(pts.to_crs(AREA_CRS), ref["govs"].to_crs(AREA_CRS), how="left")
            near = near[~near.index.duplicated(keep="first")]
            spatial_pcode.loc[near.index] = near["pcode"].astype("string")
    gdf = f.drop(columns=["lat", "lon"])  # the points are made when stored (point_rows), a slice at a time
    gdf["lon"], gdf["lat"] = lon, lat
    hint = f["pcode_hint"].astype("string") if "pcode_hint" in f else pd.Series(pd.NA, index=f.index, dtype="string")
    pcode = spatial_pcode.reindex(f.index).astype("string").fillna(hint)
    differs = hint.notna() & spatial_pcode.reindex(f.index).notna() & (hint != spatial_pcode.reindex(f.index))
    if differs.any():
        warnings.append(differs_warning(int(differs.sum()), rows[differs]))
    place, p_out, w_out = _outside_kept(f, place, dist_m, hint, layer)
    problems += p_out
    if facts is None:
        warnings += w_out
    elif w_out:
        kept = pd.Series(place).notna().to_numpy()
        facts.near_place.append(place[kept])
        facts.near_rows.append(rows.to_numpy(dtype=np.int64)[kept])
    gdf["pcode"] = pcode
    gdf["location_type"] = pd.Series(place, index=f.index, dtype="string").fillna("strip")
    gdf["outline_distance_m"] = dist_m
    claimed = gdf["block_id"].astype("Int64") if "block_id" in gdf else pd.Series(pd.NA, index=f.index, dtype="Int64")
    sb = spatial_block.reindex(f.index).astype("Int64")
    mism = claimed.notna() & sb.notna() & (claimed != sb)
    if mism.any():
        warnings.append(block_mismatch_warning(int(mism.sum())))
    gdf["block_id"] = sb.fillna(claimed.where(~mism))
    if "sub_block_id" in gdf:  # a sub-block of another block than the point's is not kept
        gdf["sub_block_id"] = gdf["sub_block_id"].where(~mism)
    n_noblock = int((inside & gdf["block_id"].isna().to_numpy()).sum())
    if n_noblock and join:
        warnings.append(no_block_warning(n_noblock))
    # dates, and values outside their domain
    date_field = p.meta.get("columns", {}).get("date") or "date"
    if facts is None:
        p3, w3 = _dates_check(gdf["date"], rows, date_field, p.meta.get("claims_war"), layer)
    else:  # the share of dates inside the war is the whole file's
        p3, w3 = _future_dates(gdf["date"], rows, date_field, layer), []
        _war_facts(facts, gdf["date"], rows, date_field, p.meta.get("claims_war"))
        facts.ranks = (len(problems), len(problems) + len(p3))
    problems += p3 + _domain_check(gdf, f, problems, layer)
    warnings += w3
    # duplicates
    ids = gdf["event_id"].astype("string")
    has_id = ids.notna() & (ids != "")
    if facts is None:
        p_dup, w_dup = _duplicates(f, gdf, rows, ids, has_id, layer)
        problems += p_dup
        warnings += w_dup
    else:  # found in the database over the whole file (import_stage)
        facts.keys = _file_keys(f, gdf, rows, ids, has_id)
    slug = workspace.slug(p.name_hint)
    if not has_id.all():
        made = pd.Series([f"{slug}-{r}" for r in rows], index=f.index, dtype="string")
        gdf["event_id"] = ids.where(has_id, made)
    else:
        gdf["event_id"] = ids
    gdf["_own_id"] = has_id.to_numpy()  # the dataset's own id (ACLED event_id_cnty ...), not a made-up one
    warnings += _text_warnings(gdf, facts)
    release_pool()  # the checks' temporary arrays, before the save allocates its own
    return gdf, problems, warnings


def _text_warnings(gdf: pd.DataFrame, facts: import_stage.FileFacts | None) -> list[str]:
    """Texts cut and markup found: worded, or (a chunk of a file) counted in ``facts``."""
    if facts is None:
        return _cap_text(gdf) + _markup_warning(gdf)
    cut = _cap_cut(gdf)
    facts.cut, facts.cut_n = (facts.cut + cut)[:20], facts.cut_n + len(cut)
    facts.markup += _markup_count(gdf)
    return []


def _duplicates(f: pd.DataFrame, gdf: pd.DataFrame, rows: pd.Series, ids: pd.Series, has_id: pd.Series,
                layer: str | None) -> tuple[list[Problem], list[str]]:
    """Rows repeating an earlier row's own id (problems), rows without one identical to an earlier row (a warning)."""
    problems: list[Problem] = []
    warnings: list[str] = []
    dup_id = has_id & ids.duplicated(keep="first")
    if dup_id.any():
        first_row = pd.Series(rows[has_id].to_numpy(), index=ids[has_id].to_numpy())
        first_row = first_row[~first_row.index.duplicated(keep="first")]
        problems += [_duplicate_problem(int(r), i, int(first_row[i]), layer)
                     for r, i in zip(rows[dup_id], ids[dup_id], strict=True)]
    if (~has_id).any():
        content = _content_hash(f, gdf, has_id)
        dup_sub = content.duplicated(keep="first")
        if dup_sub.any():
            first = pd.Series(rows.loc[content.index].to_numpy(), index=content.to_numpy())
            first = first[~first.index.duplicated(keep="first")]
            pairs = [(int(r), int(first[h]))
                     for r, h in zip(rows.loc[dup_sub.index[dup_sub]], content[dup_sub], strict=True)]
            warnings.append(_identical_warning(len(pairs), pairs))
    return problems, warnings


def _content_hash(f: pd.DataFrame, gdf: pd.DataFrame, has_id: pd.Series, *, stable: bool = False) -> pd.Series:
    """The content hash of the rows without an id: the reader's hash of the whole source row, else a hash of the
    key fields and the point (``stable``: dates and numbers written alike in every chunk of a file)."""
    if "_rowhash" in f:  # the reader hashed the whole source row
        return f.loc[~has_id, "_rowhash"]
    key_cols = [c for c in ("date", "kind", "fatalities", "location", "notes", "source", "figure") if c in gdf]
    both = pd.concat([gdf[key_cols], f[["lat", "lon"]]], axis=1).loc[~has_id]
    return _rowhash(_stable_text(both) if stable else both, key_cols + ["lat", "lon"])


def _duplicate_problem(row: int, event_id: str, first: int, layer: str | None) -> Problem:
    return Problem(row, "event_id", msg(N_("duplicate event: same id {id!r} as row {row}"), id=event_id, row=first),
                   layer=layer)


def _identical_warning(n: int, pairs: list[tuple[int, int]]) -> str:
    """``n`` rows without an id identical to an earlier row; ``pairs``: (row, earlier row), the first 20 listed."""
    listed = ", ".join(f"{r}={e}" for r, e in pairs[:20])
    return msg(N_("{n} row(s) identical to an earlier row, kept (without an event id a repeat "
                  "cannot be told from two events at one place and day): row=earlier row {pairs}"),
               n=n, pairs=msg(N_("{items} ..."), items=listed) if n > 20 else listed)


def _stable_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with dates and numbers written alike in every chunk of a file (a chunk's own dtype or layout
    would otherwise change how ``astype("string")`` writes them, and so the rows' hashes)."""
    out = {}
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            out[c] = s.dt.strftime("%Y-%m-%dT%H:%M:%S.%f")
        elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            out[c] = s.astype("Float64")
        else:
            out[c] = s
    return pd.DataFrame(out, index=frame.index)


def _file_keys(f: pd.DataFrame, gdf: pd.DataFrame, rows: pd.Series, ids: pd.Series, has_id: pd.Series
               ) -> pd.DataFrame:
    """A chunk's rows for the whole file's duplicate checks: source_row, own event id, content hash (rows without)."""
    content = np.zeros(len(f), dtype=np.int64)
    if (~has_id).any():
        hashed = _content_hash(f, gdf, has_id, stable=True)
        content[(~has_id).to_numpy()] = np.asarray(hashed, dtype=np.uint64).view(np.int64)
    own = pd.Series(has_id.to_numpy())
    return pd.DataFrame({"source_row": rows.to_numpy(dtype=np.int64),
                         "event_id": ids.reset_index(drop=True).where(own),
                         "content": pd.Series(content, dtype="Int64").where(~own)})


def finish_figures(p: Parsed, layer: str | None = None) -> tuple[gpd.GeoDataFrame, list[Problem], list[str]]:
    """Governorate-level figures: placed at the governorate's label point; dates checked."""
    f = p.frame.copy()
    problems, warnings = list(p.problems), list(p.warnings)
    govs = reference()["govs"]
    pts = govs.set_index("pcode").geometry.representative_point()
    geom = pts.reindex(f["pcode"].fillna("").to_numpy())
    gdf = gpd.GeoDataFrame(f, geometry=geom.to_numpy(), crs=4326, index=f.index)
    p3, w3 = _dates_check(gdf["date"], f["_row"], "#date", p.meta.get("claims_war"), layer)
    problems += p3
    warnings += w3 + [msg(N_("figures are placed at their governorate's label point (join on pcode for a choropleth)"))]
    warnings += _cap_text(gdf) + _markup_warning(gdf)
    return gdf, problems, warnings


# Where a series' unit came from (readers/series.py ``_units``) and the kinds of its place column, as sentences.
_UNIT_FROM = {"stated with --unit": msg(N_("stated with --unit")), "the file's unit column": msg(N_("the file's unit column")),
              "the value column's name": msg(N_("the value column's name")), "a count of rows": msg(N_("a count of rows"))}
_PLACE_KIND = {"crossing": msg(N_("crossing")), "governorate": msg(N_("governorate")), "place": msg(N_("place"))}


def finish_series(p: Parsed, layer: str | None = None) -> tuple[gpd.GeoDataFrame, list[Problem], list[str]]:
    """Series rows (one per source row): dates checked like events' (future, before the war); no geometry."""
    f = p.frame.copy()
    problems, warnings = list(p.problems), list(p.warnings)
    date_field = p.meta.get("columns", {}).get("date") or "date"
    p3, w3 = _dates_check(f["date"], f["_row"], date_field, p.meta.get("claims_war"), layer)
    problems += p3
    warnings += w3
    nv = p.meta.get("no_value") or {}
    if nv.get("rows"):
        parts = [msg(N_("date written '-' or left blank: {rows}"), rows=_row_list(nv["date"])) if nv.get("date") else "",
                 msg(N_("value written '-', 'not reported' or left blank: {rows}"), rows=_row_list(nv["value"]))
                 if nv.get("value") else ""]
        said = [x for x in parts if x]
        warnings.append(msg(N_("{n} row(s) with no value left out (not counted as 0): {found}"), n=len(nv["rows"]),
                            found=said[0] if len(said) == 1 else msg(N_("{first}; {second}"), first=said[0],
                                                                     second=said[1])))
    s = p.meta.get("series") or {}
    if s:
        unit = s.get("unit") or msg(N_("as each row's unit column says"))
        origin = _UNIT_FROM.get(str(s.get("unit_from")), s.get("unit_from"))
        note = msg(N_("; state another with --unit")) if s.get("unit_from") != "stated with --unit" else ""
        place = (msg(N_(" and {kind} ({column!r})"), kind=_PLACE_KIND.get(str(s["place_kind"]), s["place_kind"]),
                     column=s["place_column"]) if s.get("place_column") else msg(N_(" (no place column)")))
        template = (N_("series {metric!r} in unit {unit!r} ({unit_from}{note}), summed per year{place}")
                    if s.get("period") == "year" else
                    N_("series {metric!r} in unit {unit!r} ({unit_from}{note}), summed per day{place}"))
        warnings.append(msg(template, metric=s.get("metric"), unit=unit, unit_from=origin, note=note, place=place))
    gdf = gpd.GeoDataFrame(f, index=f.index)
    warnings += _cap_text(gdf) + _markup_warning(gdf)
    return gdf, problems, warnings


def _day_qualifier(q: pd.Series) -> str | None:
    """A day's qualifier: one row keeps its own ("more than 10"); a sum with a "more than 20" in it is "at least"."""
    if len(q) == 1:
        return None if pd.isna(q.iloc[0]) else str(q.iloc[0])
    return sum_qualifier(q)


def series_days(rows: pd.DataFrame) -> pd.DataFrame:
    """Series rows summed to days per date x place x category x metric x unit, in the shipped ``series``
    schema's columns (date, metric, value, unit, pcode, source, filled) plus place, category, qualifier
    (the qualifiers of the rows summed, e.g. "more than"), rows (source rows summed) and source_row (the first)."""
    keys = ["date", "metric", "unit", "place", "pcode", "category"]
    f = rows.assign(date=pd.to_datetime(rows["date"]).dt.normalize())
    g = f.groupby(keys, dropna=False, sort=True)
    out = g.agg(value=("value", "sum"), rows=("_row", "size"), source_row=("_row", "min"),
                source=("source", "first"), dataset=("dataset", "first")).reset_index()
    # one row keeps its own qualifier ("more than 10"); a sum with a "more than 20" in it is "at least" the sum
    quals = g["qualifier"].agg(_day_qualifier)
    q = quals.reset_index(drop=True).astype("string")
    out["qualifier"] = q.where(q != "")
    out["filled"] = False
    out["date"] = out["date"].dt.date
    cols = ["date", "metric", "value", "unit", "pcode", "source", "filled", "place", "category", "qualifier",
            "rows", "source_row", "dataset"]
    out = out[cols]
    for c in ("metric", "unit", "pcode", "source", "place", "category", "dataset"):
        out[c] = out[c].astype("string")
    return out


def finish_zones(p: Parsed, layer: str | None = None) -> tuple[gpd.GeoDataFrame, list[Problem], list[str]]:
    """Zones: inside the Strip (or swapped), known block ids, valid_from <= valid_to, area."""
    gdf = p.frame.copy()
    if not isinstance(gdf, gpd.GeoDataFrame):  # the zone reader returns geometry; anything else is a bug
        raise TypeError("zones come from the reader as a GeoDataFrame")
    problems, warnings = list(p.problems), list(p.warnings)
    ref = reference()
    rows = gdf["_row"]
    geoms = np.asarray(gdf.geometry.values)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    hits = np.zeros(len(gdf), dtype=bool)
    swapped = np.zeros(len(gdf), dtype=bool)
    within = np.zeros(len(gdf), dtype=bool)
    with _REFERENCE_LOCK:
        hits[present] = shapely.intersects(ref["zone"], geoms[present])
        cand = present & ~hits
        if cand.any():
            flipped = shapely.transform(geoms[cand], lambda c: c[:, ::-1])
            swapped[cand] = shapely.intersects(ref["zone"], flipped)
        within[hits] = shapely.within(geoms[hits], ref["zone"])
    problems += [Problem(int(r), "geometry", "coordinates look swapped (latitude first): outside the Gaza Strip, "
                         "inside once swapped", fix="export with longitude first (x, y)", layer=layer)
                 for r in rows[swapped]]
    problems += [Problem(int(r), "geometry", "lies outside the Gaza Strip", fix="check the CRS", layer=layer)
                 for r in rows[cand & ~swapped]]
    if (hits & ~within).any():
        warnings.append(f"{int((hits & ~within).sum())} zone(s) extend past the Strip's outline (kept as drawn)")
    if "block_id" in gdf and gdf["block_id"].notna().any():
        bad = gdf["block_id"].notna() & ~gdf["block_id"].isin(list(ref["block_ids"])).fillna(False).astype(bool)
        bf = gdf.attrs.get("block_field", "block_id")
        problems += [Problem(int(r), bf, f"unknown block id {b} (not in the 1 Dec 2023 block grid)", layer=layer)
                     for r, b in zip(rows[bad], _block_text(gdf, bad), strict=True)]
    order = gdf["valid_from"].notna() & gdf["valid_to"].notna() & (gdf["valid_to"] < gdf["valid_from"])
    problems += [Problem(int(r), "valid_to", "ends before it starts (valid_to < valid_from)", layer=layer)
                 for r in rows[order]]
    for col in ("valid_from", "valid_to"):
        fut = gdf[col] > pd.Timestamp(datetime.now(timezone.utc).date()) + pd.Timedelta(days=3650)
        problems += [Problem(int(r), col, "date more than ten years ahead", layer=layer) for r in rows[fut]]
    gdf["area_km2"] = np.nan
    if present.any():
        gdf.loc[present, "area_km2"] = area_km2(gdf.loc[present]).round(4).to_numpy()
    warnings += _cap_text(gdf) + _markup_warning(gdf)
    return gdf, problems, warnings


# ---------------------------------------------------------------- import


def _empty_report(display: str, *, dry_run: bool, accept_partial: bool) -> dict[str, Any]:
    return {"file": display, "sha256": None, "format": None, "container": None, "detected_as": None,
            "rows_read": 0, "accepted": 0, "rejected": 0, "rejections": [], "rejections_listed": 0,
            "repaired": [], "warnings": [], "truncated": [], "overlaps": [], "replaces": [], "layers": [],
            "layer": None, "written": False, "no_value": 0, "series": None,
            "dry_run": dry_run,
            "accept_partial": accept_partial, "status": None, "message": "", "error": None, "acled": False,
            "attribution": None, "row_numbers": "row as a spreadsheet shows it (header = 1); feature number for geodata",
            "seconds": None}


def _finish(p: Parsed, label: str | None, *, join: bool) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """The checks of ``p``'s kind; events are joined to blocks here unless ``join`` is False (the database does)."""
    if p.kind == "events":
        return finish_events(p, label, join=join)
    finish = {"zones": finish_zones, "figures": finish_figures, "series": finish_series,
              "orders": finish_orders}[p.kind]
    return finish(p, label)


def import_file(path: str | Path, *, as_: str | None = None, dry_run: bool = False, accept_partial: bool = False,
                name: str | None = None, display: str | None = None, root: str | Path | None = None,
                progress: Callable[[str], None] | None = None, keep_duplicates: bool = False,
                unit: str | None = None, value: str | None = None, owner: str | None = None,
                shared: bool = True) -> dict[str, Any]:
    """Import one file; return the report (``status``: written, dry-run, refused or error).

    ``owner`` (default ``cli``) and ``shared`` go into the layers' manifest entries (who may see and
    change them: ``workspace_access``). An import that would take the workspace past ``max_layers``
    is refused.

    Nothing is written on a dry run, on an error, or when rows are rejected and
    ``accept_partial`` is False. ``display`` is the file name shown in messages
    (the uploaded name); ``name`` overrides the layer name.

    Overlaps: the same file imported again replaces the layer it made (not a second copy);
    events whose own id (ACLED ``event_id_cnty`` ...) is already in another layer of the same
    dataset are reported ("N events already in layer X") and, unless ``keep_duplicates``, removed
    from that older layer: the newest import wins and one copy is kept.

    ``unit`` and ``value`` are for series: the unit stated and the column holding the counts.
    """
    t0 = time.perf_counter()
    path = Path(path)
    display = display or path.name
    say = progress or (lambda msg: None)
    rep = _empty_report(display, dry_run=dry_run, accept_partial=accept_partial)
    try:
        say(msg(N_("checking the file ...")))
        det = detect(path, display=display, declared=as_)
        rep.update(format=det.fmt, container=det.container, detected_as=det.reason, sha256=sha256_file(path))
        _check_time(t0, display)
        # on PostGIS the stored rows are joined to blocks and governorates in the database (import_join)
        in_db = not dry_run and workspace.backend(root).kind == "postgis"
        if import_stream.streams(det, in_db=in_db):  # an events CSV: a chunk at a time, staged in the database
            done = _import_staged(path, det, display, rep, t0=t0, root=root, say=say, accept_partial=accept_partial,
                                  keep_duplicates=keep_duplicates, name=name, owner=owner, shared=shared)
            if done is not None:
                return done
        with tempfile.TemporaryDirectory(prefix="gdm-import-") as tmp:
            say(msg(N_("reading it as {fmt} ({container}) ..."), fmt=det.fmt, container=det.container))
            parsed = read_any(path, det, display, Path(tmp), unit=unit, value=value)
        _check_time(t0, display)
        results = []
        for p in parsed:
            label = p.name_hint if len(parsed) > 1 else None
            say(msg(N_("validating {n:,} row(s) of {layer} ..."), n=len(p.frame), layer=label) if label else
                msg(N_("validating {n:,} row(s) ..."), n=len(p.frame)))
            gdf, problems, warnings = _finish(p, label, join=not in_db)
            if p.kind == "events":  # what the save needs is in gdf: the reader's frame goes (100 MiB for 1M rows)
                p.frame = p.frame.iloc[:0]
                release_pool()
            results.append((p, gdf, problems, warnings))
            _check_time(t0, display)
    except InputError as exc:
        return _error_report(rep, exc, display, t0)

    all_problems: list[Problem] = []
    plans = []
    for p, gdf, problems, warnings in results:
        label = p.name_hint if len(results) > 1 else None
        bad_rows = {q.row for q in problems if q.row is not None}
        keep = ~gdf["_row"].isin(bad_rows)
        no_value = len((p.meta.get("no_value") or {}).get("rows") or [])
        source_rows = gdf["_row"].nunique() + no_value
        rep["rows_read"] += int(source_rows)
        rep["no_value"] += no_value
        rep["rejected"] += len(bad_rows)
        rep["accepted"] += int(gdf.loc[keep, "_row"].nunique())
        rep["warnings"] += [msg(N_("{layer}: {warning}"), layer=label, warning=w) if label else w for w in warnings]
        rep["repaired"] += [q.as_dict() for q in p.repaired]
        all_problems += problems
        rep["acled"] = rep["acled"] or bool(p.meta.get("acled"))
        if p.meta.get("truncated_at") is not None:
            rep["truncated"].append({"layer": label or p.name_hint, "features": int(p.meta["truncated_at"]),
                                     "message": truncation_message(int(p.meta["truncated_at"]))})
        plans.append((p, gdf if keep.all() else gdf.loc[keep], int(source_rows), len(bad_rows)))
        if p.kind == "series":
            rep["series"] = _series_report(p, gdf.loc[keep])
    all_problems.sort(key=lambda q: (q.layer or "", q.row if q.row is not None else -1))
    rep["rejections"] = [q.as_dict() for q in all_problems[:MAX_LISTED]]
    rep["rejections_listed"] = len(rep["rejections"])
    rep["problems"] = len(all_problems)
    if rep["acled"]:
        rep["attribution"] = acled_attribution
    writes = _decide(rep, display, dry_run=dry_run, accept_partial=accept_partial)
    if dry_run or not writes:
        _overlaps(plans, rep, root, keep_duplicates=keep_duplicates)
        rep["seconds"] = round(time.perf_counter() - t0, 3)
        return rep

    say(msg(N_("saving to the workspace ...")))
    try:
        with _saving(t0, display), workspace.import_session(root):
            # the checks and the save under one lock (files) or one transaction (PostGIS), and one save of
            # this server at a time: two imports never act on the same older layer at once
            replaces, overlaps = _overlaps(plans, rep, root, keep_duplicates=keep_duplicates)
            _check_cap(len(plans) - len(replaces), root)
            _save(plans, rep, replaces, overlaps, name=name, display=display, root=root,
                  keep_duplicates=keep_duplicates, owner=owner, shared=shared, in_db=in_db)
    except (workspace.WorkspaceError, InputError) as exc:
        return _failed(rep, exc, display, t0)
    _written(rep, t0)
    return rep


def _decide(rep: dict[str, Any], display: str, *, dry_run: bool, accept_partial: bool) -> bool:
    """Whether the import would write (its counts filled in ``rep``); when it would not, ``rep`` says why; a dry
    run says what it would do."""
    refused = rep["rejected"] > 0 and not accept_partial
    nothing = rep["accepted"] == 0
    if nothing:
        rep["status"] = "refused" if not dry_run else "dry-run"
        rep["message"] = msg(N_("no row or feature of {file} can be imported ({n} rejected)"), file=display,
                             n=rep["rejected"])
    elif refused:
        rep["status"] = "refused" if not dry_run else "dry-run"
        rep["message"] = msg(N_("{n} of {total} row(s) rejected: nothing imported "
                                "(fix the rows, or accept the partial import)"), n=rep["rejected"], total=rep["rows_read"])
    elif dry_run:
        rep["status"] = "dry-run"
        rep["message"] = msg(N_("{n} of {total} row(s) would be imported (dry run, nothing written)"),
                             n=rep["accepted"], total=rep["rows_read"])
    rep["would_write"] = not (nothing or refused)
    return bool(rep["would_write"])


def _written(rep: dict[str, Any], t0: float) -> None:
    """``rep`` of an import that wrote its layers: status and message."""
    rep["layer"] = rep["layers"][0]["name"] if rep["layers"] else None
    rep["written"] = True
    rep["status"] = "written"
    left = ([msg(N_("{n} rejected row(s) left out"), n=rep["rejected"])] if rep["rejected"] else []) + \
        ([msg(N_("{n} row(s) with no value left out"), n=rep["no_value"])] if rep["no_value"] else [])
    layers = ", ".join(x["name"] for x in rep["layers"])
    rep["message"] = (msg(N_("imported {n} of {total} row(s) into {layers} ({left})"), n=rep["accepted"],
                          total=rep["rows_read"], layers=layers, left=left[0] if len(left) == 1 else
                          msg(N_("{first}; {second}"), first=left[0], second=left[1])) if left else
                      msg(N_("imported {n} of {total} row(s) into {layers}"), n=rep["accepted"], total=rep["rows_read"],
                          layers=layers))
    rep["seconds"] = round(time.perf_counter() - t0, 3)


class _Unsaved(Exception):
    """Rolls back an import read a chunk at a time that is refused (its report is complete)."""


def _import_staged(path: Path, det: Detected, display: str, rep: dict[str, Any], *, t0: float,
                   root: str | Path | None, say: Callable[[str], None], accept_partial: bool, keep_duplicates: bool,
                   name: str | None, owner: str | None, shared: bool) -> dict[str, Any] | None:
    """The PostGIS import of an events CSV a chunk at a time: each chunk is checked and COPYed to a staging table
    in the import's transaction, then dropped from memory; the checks needing the whole file then run on what
    the chunks left (``import_stage``: counts here, ids and row hashes in the database) and word their findings
    as the whole-file read does. None: the file needs the whole-file reader (nothing was stored)."""
    found = import_stream.parts(path, det, display)
    store = workspace.backend(root)
    if found is None or not isinstance(store, PostgisBackend):
        return None
    say(msg(N_("reading it as {fmt} ({container}) ..."), fmt=det.fmt, container=det.container))
    try:
        _check_time(t0, display)  # out of time already: said so, not as a wait for another import's save
        with _saving(t0, display), store.session() as conn:
            with slash_orders_seen() as orders:
                st = import_stage.stage(conn, found, finish=lambda p, facts: finish_events(p, join=False, facts=facts),
                                        to_rows=_storage_frame, check_time=lambda: _check_time(t0, display),
                                        most=MAX_LISTED)
            if len(set(orders)) > 1:  # chunks read slash dates in different orders: the whole file decides
                raise import_stream.Unstreamable("slash dates decided differently in two chunks")
            say(msg(N_("validating {n:,} row(s) ..."), n=st.stager.rows))
            facts, p = st.facts, st.head
            war_rows, war_problems, war_warnings = file_war_check(facts, MAX_LISTED)
            st.stager.mark_bad(war_rows)
            n_dup, dups = st.stager.duplicate_ids(MAX_LISTED)
            n_same, same = st.stager.identical_rows(20)
            ranked = st.listed + [(int(q.row or 0), 1, st.problems + i, q) for i, q in enumerate(war_problems)]
            ranked += [(r, 3, st.problems + len(war_problems) + i, _duplicate_problem(r, e, first, None))
                       for i, (r, e, first) in enumerate(dups)]
            ranked.sort(key=lambda x: x[:3])
            warnings = list(st.warnings)
            if facts.near_rows:
                warnings.append(_near_warning(np.concatenate(facts.near_place),
                                              pd.Series(np.concatenate(facts.near_rows))))
            warnings += war_warnings + ([_identical_warning(n_same, same)] if n_same else [])
            warnings += _cap_words(facts.cut, facts.cut_n) + _markup_words(facts.markup)
            n_bad, accepted = st.stager.settle()
            rep.update(rows_read=st.stager.rows, rejected=n_bad, accepted=accepted, warnings=warnings,
                       repaired=[q.as_dict() for q in st.repaired], acled=bool(p.meta.get("acled")))
            rep["rejections"] = [x[3].as_dict() for x in ranked[:MAX_LISTED]]
            rep["rejections_listed"] = len(rep["rejections"])
            rep["problems"] = st.problems + len(war_rows) + n_dup
            if rep["acled"]:
                rep["attribution"] = acled_attribution
            staged = st.stager.staged(accepted) if accepted else None
            plans: list[tuple[Parsed, Any, int, int]] = [(p, staged, st.stager.rows, n_bad)]
            own = staged is not None and st.stager.has_own_ids()
            shared_with = (lambda e: st.stager.shared_ids(e.get("table"))) if own else None
            if not _decide(rep, display, dry_run=False, accept_partial=accept_partial):
                _overlaps(plans, rep, root, keep_duplicates=keep_duplicates, shared_with=shared_with)
                raise _Unsaved
            say(msg(N_("saving to the workspace ...")))
            replaces, overlaps = _overlaps(plans, rep, root, keep_duplicates=keep_duplicates, shared_with=shared_with)
            _check_cap(len(plans) - len(replaces), root)
            _save(plans, rep, replaces, overlaps, name=name, display=display, root=root,
                  keep_duplicates=keep_duplicates, owner=owner, shared=shared, in_db=True)
    except _Unsaved:
        rep["seconds"] = round(time.perf_counter() - t0, 3)
        return rep
    except import_stream.Unstreamable:
        return None
    except (workspace.WorkspaceError, InputError) as exc:
        return _failed(rep, exc, display, t0)
    _written(rep, t0)
    return rep


def _failed(rep: dict[str, Any], exc: InputError, display: str, t0: float) -> dict[str, Any]:
    """The report of an import whose file fails (an error) or that the workspace refuses (cap, damage, a taken
    name: a refusal)."""
    out = _error_report(rep, exc, display, t0)
    if isinstance(exc, workspace.WorkspaceError):
        out["status"] = "refused"
    return out


def _series_report(p: Parsed, rows: pd.DataFrame) -> dict[str, Any]:
    """What a series import makes: metric, unit and where it came from, columns read, days, places, span."""
    days = series_days(rows) if len(rows) else pd.DataFrame(columns=["date", "place", "value"])
    out = dict(p.meta.get("series") or {})
    out.update(days=int(days["date"].nunique()), day_rows=int(len(days)),
               first=str(min(days["date"])) if len(days) else None, last=str(max(days["date"])) if len(days) else None,
               places=sorted(str(x) for x in days["place"].dropna().unique()),
               total=float(days["value"].sum()) if len(days) else 0.0,
               no_value_rows=(p.meta.get("no_value") or {}).get("rows", []))
    return out


def _error_report(rep: dict[str, Any], exc: InputError, display: str, t0: float) -> dict[str, Any]:
    rep.update(status="error", error=exc.as_dict(), message=exc.message(), layers=[], layer=None, written=False,
               seconds=round(time.perf_counter() - t0, 3))
    if rep["error"]["file"] is None:
        rep["error"]["file"] = display
    return rep


# ---------------------------------------------------------------- time limit, saving


def _time_limit_error(display: str, why: str) -> InputError:  # why: a Message
    limit = settings.get(settings.IMPORT_TIME_LIMIT_S)
    return InputError(msg(N_("{why} {limit:g} s ({name}, {env}): nothing was stored"), why=why, limit=limit,
                          name=settings.IMPORT_TIME_LIMIT_S.name, env=settings.IMPORT_TIME_LIMIT_S.env), file=display,
                      fix=msg(N_("split the file or simplify its geometry, or raise the setting if you run the app")))


def _check_time(t0: float, display: str) -> None:
    """Stop the import (InputError) once it has run longer than ``import_time_limit_s``."""
    if time.perf_counter() - t0 > settings.get(settings.IMPORT_TIME_LIMIT_S):
        raise _time_limit_error(display, msg(N_("this import took longer than")))


# One import of this process saves at a time: this lock waits at most for what is left of the import's time
# limit; the workspace's own lock (a file lock, or the database's advisory lock) keeps two processes apart and
# waits at most the time limit too.
_SAVE_LOCK = threading.Lock()


@contextmanager
def _saving(t0: float, display: str) -> Iterator[None]:
    """Hold the save lock (waiting within the time limit); roll back this import's new layers on a failed write."""
    left = settings.get(settings.IMPORT_TIME_LIMIT_S) - (time.perf_counter() - t0)
    if left <= 0 or not _SAVE_LOCK.acquire(timeout=left):
        raise _time_limit_error(display, msg(N_("another import was still saving to the workspace after the time "
                                                 "limit of")))
    try:
        yield
    except OSError as exc:
        raise _write_error(exc, display) from exc
    finally:
        _SAVE_LOCK.release()


def _write_error(exc: OSError, display: str) -> InputError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = msg(N_("the server's disk is full (no space left to write the workspace)"))
        fix = msg(N_("free space on the server (or ask whoever runs it), then import again"))
    else:
        why = msg(N_("the workspace could not be written ({error})"), error=exc.strerror or exc)
        fix = msg(N_("check that {env} names a writable folder, then import again"), env=settings.WORKSPACE_DIR.env)
    return InputError(msg(N_("{why}: nothing was stored, the layers already there are unchanged"), why=why),
                      file=display, fix=fix)


def _save(plans: list[tuple[Parsed, pd.DataFrame, int, int]], rep: dict[str, Any], replaces: dict[int, str],
          overlaps: list[dict[str, Any]], *, name: str | None, display: str, root: str | Path | None,
          keep_duplicates: bool, owner: str | None = None, shared: bool = True, in_db: bool = False) -> None:
    """Write each planned layer (replacing the same file's earlier layer) and drop the overlaps from older layers.

    A failed write (a full disk) deletes the layers this import had already added, so the workspace
    holds all of the file or none of it.
    """
    try:
        _save_layers(plans, rep, replaces, name=name, display=display, root=root, owner=owner, shared=shared,
                     in_db=in_db)
    except OSError:
        for x in rep["layers"]:
            if x["name"] not in replaces.values():
                with suppress(OSError):
                    workspace.delete(x["name"], root)
        rep["layers"] = []
        raise
    if not keep_duplicates:
        for o in overlaps:
            o["removed"] = workspace.drop_events(o["layer"], o.pop("_ids"), root=root)
    for o in overlaps:
        o.pop("_ids", None)
    rep["overlaps"] = overlaps


def _save_layers(plans: list[tuple[Parsed, pd.DataFrame, int, int]], rep: dict[str, Any],
                 replaces: dict[int, str], *, name: str | None, display: str, root: str | Path | None,
                 owner: str | None, shared: bool, in_db: bool = False) -> None:
    for i, (p, gdf, n_read, n_bad) in enumerate(plans):
        frame = _storage_frame(p, gdf)
        table = frame.frame if isinstance(frame, PointRows) else frame
        base = name if (name and len(plans) == 1) else (f"{name}-{p.name_hint}" if name else p.name_hint)
        meta = {"kind": p.kind, "format": p.fmt, **({"series": p.meta["series"]} if p.kind == "series" else {}),
                "origin_sha256": rep["sha256"], "rows_read": n_read,
                "rejected": n_bad, "acled": bool(p.meta.get("acled")),
                "dataset": str(table["dataset"].iloc[0]) if "dataset" in table and len(table) else None,
                "source_crs": p.meta.get("source_crs"), "part": p.name_hint, "owner": owner, "shared": shared,
                "report": {k: rep.get(k) for k in ("file", "sha256", "format", "container", "detected_as",
                                                   "rows_read", "accepted", "rejected", "warnings")}}
        if p.meta.get("acled"):
            meta["attribution"] = acled_attribution
        join = None
        if in_db and p.kind == "events":
            prefix = p.name_hint if len(plans) > 1 else ""

            def join(conn: Any, staging: str, table: str, prefix: str = prefix) -> None:  # warnings: in the report
                rep["warnings"].extend(msg(N_("{layer}: {warning}"), layer=prefix, warning=w) if prefix else w
                                       for w in join_layer(conn, staging, table))

        e = workspace.save_layer(replaces.get(i, base), frame, origin=display, meta=meta, root=root,
                                 overwrite=i in replaces, in_database=join)
        rep["layers"].append({"name": e["name"], "kind": p.kind, "rows": e["rows"], "acled": e["acled"]})


def _check_cap(adding: int, root: str | Path | None) -> None:
    """WorkspaceError when ``adding`` more layers would take the workspace past ``max_layers``."""
    cap = settings.get(settings.MAX_LAYERS)
    have = len(workspace.list_layers(root))
    if adding > 0 and have + adding > cap:
        raise workspace.WorkspaceError(
            msg(N_("the workspace holds {have} layer(s) and this import would add {adding}, over the limit of {cap} "
                   "(max_layers, {env}): nothing imported"), have=have, adding=adding, cap=cap,
                env=settings.MAX_LAYERS.env),
            fix=msg(N_("delete layers you no longer need, or raise {env}"), env=settings.MAX_LAYERS.env))


def _overlaps(plans: list[tuple[Parsed, Any, int, int]], rep: dict[str, Any], root: str | Path | None,
              *, keep_duplicates: bool, shared_with: Callable[[dict[str, Any]], set[str]] | None = None
              ) -> tuple[dict[int, str], list[dict[str, Any]]]:
    """(plan -> the layer the same file made before, which it replaces; events already in other layers).

    Fills ``rep["replaces"]`` and ``rep["overlaps"]`` and adds one warning per finding. For rows staged in the
    database (:class:`StagedRows`), ``shared_with(entry)`` gives their own ids that layer holds too (None: the
    stored rows have no own id).
    """
    existing = workspace.list_layers(root)
    replaces: dict[int, str] = {}
    for i, (p, _, _, _) in enumerate(plans):
        same = [e["name"] for e in existing if e.get("origin_sha256") == rep["sha256"]
                and (e.get("part") == p.name_hint or (e.get("part") is None and len(plans) == 1))]
        if same:
            replaces[i] = same[-1]
            rep["warnings"].append(msg(N_("the same file was imported before as layer {layer}: it would be replaced, "
                                          "not added twice") if rep["dry_run"] else
                                       N_("the same file was imported before as layer {layer}: it is replaced, not "
                                          "added twice"), layer=same[-1]))
    rep["replaces"] = sorted(replaces.values())
    overlaps: list[dict[str, Any]] = []
    for i, (p, gdf, _, _) in enumerate(plans):
        if p.kind != "events" or gdf is None:
            continue
        if isinstance(gdf, StagedRows):
            if shared_with is None:
                continue
            table = gdf.frame
        elif "_own_id" not in gdf or not gdf["_own_id"].any():
            continue
        else:
            table = gdf
        ids: set[str] | None = None  # made only when another layer of the dataset exists
        dataset = str(table["dataset"].iloc[0]) if "dataset" in table and len(table) else None
        for e in existing:
            if e.get("kind") != "events" or e["name"] in replaces.values() or e.get("dataset") != dataset:
                continue
            try:
                if shared_with is not None:  # in the database: a join of the staged ids and the layer's table
                    shared = shared_with(e)
                else:
                    if ids is None:
                        ids = set(gdf.loc[gdf["_own_id"].astype(bool), "event_id"].astype(str))
                    shared = ids & set(workspace.load(e["name"], root, columns=["event_id"])["event_id"].astype(str))
            except (KeyError, FileNotFoundError):  # removed since it was listed (another import emptied it)
                continue
            if not shared:
                continue
            overlaps.append({"layer": e["name"], "events": len(shared), "_ids": shared})
            action = (msg(N_("both copies kept (keep duplicates): the map and counts show them twice"))
                      if keep_duplicates else
                      msg(N_("one copy kept: this import's (newest import wins); they would be removed from {layer}")
                          if rep["dry_run"] else
                          N_("one copy kept: this import's (newest import wins); they are removed from {layer}"),
                          layer=e["name"]))
            rep["warnings"].append(msg(N_("{n:,} event(s) already in layer {layer} (same {dataset} event id): "
                                          "{action}"), n=len(shared), layer=e["name"], dataset=dataset, action=action))
    rep["overlaps"] = [{k: v for k, v in o.items() if k != "_ids"} for o in overlaps]
    return replaces, overlaps


def _storage_frame(p: Parsed, gdf: pd.DataFrame) -> pd.DataFrame | PointRows:
    """Column order and types of a stored layer; ``source_row`` keeps the row number in the file.

    Events come back as :class:`PointRows` (their points are made as they are written); rows already staged
    in the database (:class:`StagedRows`) as they are."""
    if isinstance(gdf, StagedRows):
        return gdf
    if p.kind == "series":  # no geometry: a table of days
        return series_days(gdf)
    if p.kind == "events":
        cols = list(EVENT_COLUMNS) + [c for c in EXTRA_EVENT_COLUMNS if c in gdf.columns]
        out = gdf[cols].copy(deep=False)  # copy-on-write: the columns re-typed below are the ones copied
        out["fatalities"] = out["fatalities"].astype("Int64")
        out["block_id"] = out["block_id"].astype("Int64")
        for c in ("event_id", "kind", "location", "pcode", "dataset", "source", "source_url", "geo_precision",
                  "notes"):
            out[c] = out[c].astype("string")
        out["source_row"] = gdf["_row"].astype(int).to_numpy()
        return PointRows(out, gdf["lon"].to_numpy(float), gdf["lat"].to_numpy(float))
    elif p.kind == "figures":
        out = gdf[["date", "pcode", "metric", "value", "name", "name_ar", "source", "dataset"]
                  + [c for c in ("qualifier",) if c in gdf]].copy()
    else:
        out = gdf.drop(columns=["_row"]).copy()
    out["source_row"] = gdf["_row"].astype(int).to_numpy()
    return gpd.GeoDataFrame(out, geometry=gdf.geometry.values, crs=4326).reset_index(drop=True)


def import_bytes(data: bytes, filename: str, **kwargs: Any) -> dict[str, Any]:
    """Import uploaded bytes (the dashboard's path): size checked before anything touches the disk."""
    display = Path(str(filename).replace("\\", "/")).name or "upload"
    limit = settings.get(settings.MAX_UPLOAD_MB) * 1024 * 1024
    if len(data) > limit:
        rep = _empty_report(display, dry_run=bool(kwargs.get("dry_run")),
                            accept_partial=bool(kwargs.get("accept_partial")))
        err = InputError(msg(N_("the file is {size:.1f} MiB, over the limit of {max_upload_mb} MiB"),
                             size=len(data) / 1048576, max_upload_mb=settings.get(settings.MAX_UPLOAD_MB)), file=display,
                         fix=msg(N_("split the file")))
        rep.update(status="error", error=err.as_dict(), message=err.message())
        return rep
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", display)[-100:] or "upload"
    with tempfile.TemporaryDirectory(prefix="gdm-upload-") as tmp:
        p = Path(tmp) / safe
        p.write_bytes(data)
        return import_file(p, display=display, **kwargs)


def cli(args: Any) -> int:
    """``python -m pipeline import``: print the JSON report; exit 0 written/clean dry run, 1 refused, 2 error."""
    path = Path(args.path)
    if not path.is_file():
        rep = _empty_report(str(args.path), dry_run=args.dry_run, accept_partial=args.accept_partial)
        rep.update(status="error", message=f"{args.path}: no such file",
                   error={"file": str(args.path), "row": None, "field": None, "reason": "no such file", "fix": None})
    else:
        rep = import_file(path, as_=args.kind, dry_run=args.dry_run, accept_partial=args.accept_partial,
                          keep_duplicates=bool(getattr(args, "keep_duplicates", False)),
                          unit=getattr(args, "unit", None), value=getattr(args, "value", None))
    print(json.dumps(rep, indent=2, ensure_ascii=False, default=str))
    if rep["status"] == "error":
        return 2
    if rep["status"] == "refused" or (rep["status"] == "dry-run" and not rep.get("would_write")):
        return 1
    return 0
