"""Plain CSV/XLSX tables of points: latitude/longitude under common column names.

Also the column helpers the ACLED and HXL readers share: number and date
parsing that reports each unreadable value (row, field, reason) instead of
dropping it, and governorate names (English, ACLED and Arabic spellings) to
OCHA pcodes.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.dates import FIRST_STORABLE, LAST_STORABLE, epoch_dates, parse_date_column
from pipeline.core.errors import InputError
from pipeline.core.i18n import N_, msg
from pipeline.core.layers import PCODES
from pipeline.runtime.detect import Detected, Parsed, Problem, check_count, read_table

EVENT_COLUMNS = ("event_id", "date", "kind", "fatalities", "location", "pcode", "block_id", "dataset",
                 "source", "source_url", "geo_precision", "notes")

LAT_NAMES = ("lat", "latitude", "y", "lat_dd", "latitude_dd", "decimal_latitude", "geo_lat", "point_y")
LON_NAMES = ("lon", "lng", "long", "longitude", "x", "lon_dd", "longitude_dd", "decimal_longitude", "geo_lon",
             "point_x")
DATE_NAMES = ("date", "event_date", "incident_date", "date_of_incident", "day", "occurred_on", "reported_on",
              "datetime", "timestamp", "eventdate", "incidentdate", "date_", "report_date", "reportdate")
OTHER_NAMES: dict[str, tuple[str, ...]] = {
    "event_id": ("event_id", "id", "incident_id", "event_id_cnty", "uid", "fid"),
    "kind": ("kind", "type", "event_type", "category", "incident_type", "sub_event_type"),
    "location": ("location", "place", "area", "name", "site", "locality", "neighbourhood", "neighborhood"),
    "fatalities": ("fatalities", "killed", "deaths", "dead", "casualties_killed"),
    "source": ("source", "sources", "reported_by", "dataset_source"),
    "source_url": ("source_url", "url", "link", "href"),
    "notes": ("notes", "description", "comment", "comments", "details", "event_description", "summary"),
    "geo_precision": ("geo_precision", "precision", "accuracy", "location_precision"),
    "block_id": ("block_id", "block", "block_no", "block_number", "evacuation_block"),
    "pcode_hint": ("pcode", "adm2_pcode", "admin2_pcode", "adm1_pcode", "governorate_pcode"),
    "governorate": ("governorate", "admin2", "adm2_name", "district"),
}

SERIES_FIX = msg(N_("import it as a series: python -m pipeline import FILE --as series [--unit trucks] (on the Data "
                    "page: Format 'series'); only if its rows are events at places, add latitude/longitude columns"))

# Governorate spellings found in ACLED, OCHA, PCBS and press usage -> pcode.
_ALIASES: dict[str, str] = {
    "north gaza": "PS0255", "northern gaza": "PS0255", "gaza north": "PS0255", "jabalia": "PS0255",
    "shamal ghazza": "PS0255", "shamal gaza": "PS0255",
    "gaza": "PS0260", "gaza city": "PS0260", "ghazza": "PS0260",
    "deir al-balah": "PS0265", "deir al balah": "PS0265", "deir el balah": "PS0265", "deir el-balah": "PS0265",
    "dayr al-balah": "PS0265", "dayr al balah": "PS0265", "deir albalah": "PS0265", "dier al balah": "PS0265",
    "middle area": "PS0265", "central gaza": "PS0265", "deir al-balah governorate": "PS0265",
    "khan younis": "PS0270", "khan yunis": "PS0270", "khan younes": "PS0270", "khan yunes": "PS0270",
    "khanyounis": "PS0270", "khan younis governorate": "PS0270",
    "rafah": "PS0275", "rafah governorate": "PS0275",
    # Arabic (normalised: no tashkeel, alef/ta marbuta/ya unified)
    "شمال غزه": "PS0255", "غزه": "PS0260", "دير البلح": "PS0265", "الوسطي": "PS0265", "الوسطى": "PS0265",
    "خان يونس": "PS0270", "خانيونس": "PS0270", "رفح": "PS0275",
}
for _p, _n in PCODES.items():
    _ALIASES.setdefault(_n.lower(), _p)
    _ALIASES[_p.lower()] = _p


def _norm_name(value: str) -> str:
    text = str(value).strip()
    if re.search(r"[\u0600-\u06FF]", text):
        try:
            from pyarabic import araby

            text = araby.strip_tashkeel(araby.strip_tatweel(text))
        except ImportError:  # pragma: no cover - pyarabic is a runtime requirement
            pass
        text = re.sub("[إأآا]", "ا", text).replace("ة", "ه").replace("ى", "ي")
        text = re.sub(r"^(محافظه|محافظة)\s+", "", text)
        return re.sub(r"\s+", " ", text)
    text = text.lower().replace("governorate", "").replace("'", "").replace("’", "")
    return re.sub(r"\s+", " ", text.replace("_", " ")).strip(" ,.")


_ALIASES = {_norm_name(k): v for k, v in _ALIASES.items()}


def pcode_for_names(values: pd.Series) -> pd.Series:
    """Map governorate names or pcodes (any common spelling, English or Arabic) to pcodes; NA if unknown."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)  # each distinct spelling normalised once
    found = np.array([_ALIASES.get(_norm_name(u)) if isinstance(u, str) else None for u in uniques] + [None],
                     dtype=object)
    return pd.Series(found[codes], index=values.index, dtype="string")


def find_column(columns: list[str], names: tuple[str, ...]) -> str | None:
    """First column whose normalised name is one of ``names`` (case, spaces and dashes ignored)."""
    norm = {re.sub(r"[\s\-]+", "_", str(c).strip().lower()): c for c in columns}
    for n in names:
        if n in norm:
            return norm[n]
    return None


def claim_column(columns: list[str], names: tuple[str, ...], used: set[str]) -> str | None:
    """Like :func:`find_column`, but a column already mapped to another field is not taken twice."""
    c = find_column(columns, names)
    if c is None or c in used:
        return None
    used.add(c)
    return c


def map_event_fields(frame: pd.DataFrame, cols: list[str], rows: pd.Series, used: set[str]
                     ) -> tuple[dict[str, pd.Series], list[Problem], str | None]:
    """The optional event fields of ``OTHER_NAMES`` found in ``frame`` (columns in ``used`` are skipped).

    Returns (fields, problems, the column read as block_id). Numbers are checked; a governorate name
    fills the pcode hint where no pcode column gives one; missing fields come back empty.
    """
    fields: dict[str, pd.Series] = {}
    problems: list[Problem] = []
    block_field = None
    for target, names in OTHER_NAMES.items():
        c = claim_column(cols, names, used)
        if target == "block_id" and c is not None:
            fields["block_id"], fields["sub_block_id"], p = parse_block_ids(frame[c], rows, c)
            problems += p
            block_field = c
        elif target in ("fatalities", "block_id"):
            if c is None:
                fields[target] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
            else:
                fields[target], p = parse_numbers(frame[c].astype("string"), rows, c, required=False, integer=True)
                problems += p
        elif target in ("pcode_hint", "governorate"):
            hint = pcode_for_names(text_column(frame, c)) if c else pd.Series(pd.NA, index=frame.index, dtype="string")
            fields["pcode_hint"] = fields["pcode_hint"].fillna(hint) if "pcode_hint" in fields else hint
        else:
            fields[target] = text_column(frame, c)
    return fields, problems, block_field


def add_event_fields(out: pd.DataFrame, frame: pd.DataFrame, cols: list[str], rows: pd.Series,
                     used: set[str]) -> list[Problem]:
    """Put :func:`map_event_fields` into ``out`` (and the columns read as block id and fatalities into its
    ``attrs``, for the messages); return the problems."""
    fields, problems, block_field = map_event_fields(frame, cols, rows, used)
    for target, values in fields.items():
        out[target] = values
    if block_field:
        out.attrs["block_field"] = block_field
    out.attrs["fatalities_field"] = find_column(cols, OTHER_NAMES["fatalities"]) or "fatalities"
    return problems


def parse_numbers(values: pd.Series, rows: pd.Series, field: str, *, required: bool,
                  integer: bool = False) -> tuple[pd.Series, list[Problem]]:
    """Numbers from strings; each unreadable (or, if required, empty) value becomes a Problem."""
    text = values.astype("string").str.strip().str.replace(",", ".", regex=False) if not integer else \
        values.astype("string").str.strip().str.replace(",", "", regex=False)
    nums = _to_numeric(text)
    bad = nums.isna() & text.notna() & (text != "")
    problems = [Problem(int(r), field, msg(N_("not a number: {value!r}"), value=str(v)[:40]))
                for r, v in zip(rows[bad].tolist(), values[bad].tolist(), strict=True)]
    with np.errstate(invalid="ignore"):
        infinite = nums.notna() & ~np.isfinite(nums.astype(float))
        huge = nums.notna() & ~infinite & (nums.astype(float).abs() > 1e15)
    problems += [Problem(int(r), field, msg(N_("not a finite number: {value!r}"), value=str(v)[:40]))
                 for r, v in zip(rows[infinite].tolist(), values[infinite].tolist(), strict=True)]
    if integer:
        problems += [Problem(int(r), field, msg(N_("implausibly large number: {value!r}"), value=str(v)[:40]))
                     for r, v in zip(rows[huge].tolist(), values[huge].tolist(), strict=True)]
        infinite = infinite | huge
    nums = nums.astype(float).where(~infinite) if infinite.any() else nums
    if required:
        empty = text.isna() | (text == "")
        problems += [Problem(int(r), field, msg(N_("empty"))) for r in rows[empty].tolist()]
    if integer:
        frac = nums.notna() & (nums % 1 != 0)
        problems += [Problem(int(r), field, msg(N_("not a whole number: {value}"), value=v)) for r, v in
                     zip(rows[frac].tolist(), nums[frac].tolist(), strict=True)]
        nums = nums.where(~frac)
        neg = nums < 0
        problems += [Problem(int(r), field, msg(N_("negative count: {value}"), value=v)) for r, v in zip(rows[neg].tolist(), nums[neg].tolist(), strict=True)]
        nums = nums.where(~neg).astype("Int64")
    return nums, problems


def _to_numeric(text: pd.Series) -> pd.Series:
    """``pandas.to_numeric(text, errors="coerce")``, through pyarrow's cast when every value is a number.

    Whole numbers come back as Int64 and others as Float64 (NaN as missing), as ``to_numeric`` gives
    them; a column with any other text takes ``to_numeric`` itself (each bad value becomes missing).
    """
    arr = pa.array(text.array, type=pa.string(), from_pandas=True)
    if arr.null_count == len(arr):
        return pd.to_numeric(text, errors="coerce")
    for kind, dtype in ((pa.int64(), "Int64"), (pa.float64(), "Float64")):
        try:
            cast = pc.cast(arr, kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        values = cast.to_numpy(zero_copy_only=False)
        if dtype == "Int64":
            return pd.Series(pd.arrays.IntegerArray(np.nan_to_num(values).astype(np.int64) if cast.null_count else
                                                    values.astype(np.int64), np.asarray(cast.is_null())),
                             index=text.index)
        return pd.Series(pd.array(values.astype(float), dtype="Float64"), index=text.index)
    return pd.to_numeric(text, errors="coerce")


_BLOCK_ID = r"^(\d{1,6})(?:\.(\d{1,3}))?$"


def parse_block_ids(values: pd.Series, rows: pd.Series, field: str) -> tuple[pd.Series, pd.Series, list[Problem]]:
    """(block id, sub-block id, problems) from a block-id column, matched as the orders are.

    ``642`` is block 642; ``642.1`` is sub-block 642.1 of block 642 (the parent is used for the join,
    the sub-block id kept as text, written as the orders list writes it: ``642.10`` -> ``642.1``);
    ``642.0`` is the block itself. Anything else is a problem naming the row.
    """
    text = values.astype("string").str.strip()
    parts = text.str.extract(_BLOCK_ID)
    whole = pd.to_numeric(parts[0], errors="coerce").astype("Int64")
    sub = parts[1].astype("string").str.rstrip("0")
    label = (parts[0].astype("string") + "." + sub).where(sub.notna() & (sub != ""))
    bad = text.notna() & (text != "") & whole.isna()
    problems = [Problem(int(r), field, msg(N_("not a block id: {value!r} (a whole number such as 642, or a "
                                               "sub-block such as 642.1)"), value=str(v)[:40])) for r, v in zip(rows[bad].tolist(), text[bad].tolist(), strict=True)]
    return whole, label.astype("string"), problems


def parse_dates(values: pd.Series, rows: pd.Series, field: str) -> tuple[pd.Series, list[Problem], str | None]:
    """Dates in the wild (pipeline.dates rules), with vectorised fast paths for ISO and epoch columns."""
    text = values.astype("string").str.strip()
    fast = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    fast = fast.where(fast.between(FIRST_STORABLE, LAST_STORABLE))  # 9999-12-31 is reported, not stored
    iso_like = text.str.match(r"^\d{4}-\d{2}-\d{2}([T ].*)?$").fillna(False).astype(bool)
    iso_like = iso_like & fast.notna()
    rest = (text.notna() & ~iso_like).to_numpy()  # only these can be epoch numbers (none, in most files)
    epoch = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    if rest.any():
        epoch[rest] = epoch_dates(text[rest])
    fast = fast.where(iso_like, epoch)
    iso_like = iso_like | epoch.notna()
    need = text.notna() & ~iso_like
    out = fast.where(iso_like)
    problems: list[Problem] = []
    warning = None
    if need.any():
        parsed, probs, warning = parse_date_column(values[need].reset_index(drop=True))
        parsed.index = values.index[need.to_numpy()]
        out = out.astype("datetime64[ns]")
        out[need] = parsed.astype("datetime64[ns]")
        sub_rows = rows[need].tolist()
        problems = [Problem(int(sub_rows[p.row]), field, p.reason, fix=msg(N_("write dates as YYYY-MM-DD"))) for p in probs]
    empty = text.isna() | (text == "")
    problems += [Problem(int(r), field, msg(N_("empty date"))) for r in rows[empty].tolist()]
    return out.astype("datetime64[ns]").dt.normalize(), problems, warning


def text_column(frame: pd.DataFrame, col: str | None) -> pd.Series:
    if col is None:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    return frame[col].astype("string").str.strip()


def row_numbers(frame: pd.DataFrame, first: int) -> pd.Series:
    """Row numbers as a spreadsheet shows them: ``first`` is the number of the first data row."""
    return pd.Series(np.arange(first, first + len(frame)), index=frame.index)


def read_csv_points(path: Path, det: Detected, display: str, *, dataset: str | None = None,
                    frame: pd.DataFrame | None = None, first_row: int = 2) -> Parsed:
    """Read a plain CSV/XLSX of points into the events columns (plus ``lat``/``lon``).

    ``frame``/``first_row``: one chunk of the file already read, and the row number of its first row."""
    if frame is None:
        frame = read_table(path, det.container, display)
    check_count(len(frame), display)
    if frame.empty:
        raise InputError(msg(N_("the file has a header but no data rows")), file=display,
                         fix=msg(N_("add rows under the header")))
    cols = list(frame.columns)
    lat_c, lon_c = find_column(cols, LAT_NAMES), find_column(cols, LON_NAMES)
    block_c = find_column(cols, OTHER_NAMES["block_id"])
    if (lat_c is None or lon_c is None) and block_c is None:
        date_c = find_column(cols, DATE_NAMES)
        if date_c is not None:  # a dated table without places on the map: a series, not points
            raise InputError(msg(N_("no latitude/longitude columns found (columns: {cols}); with its date column "
                                    "{date_c!r} it looks like a series (counts by day, e.g. aid trucks by crossing)"),
                                 cols=cols[:20], date_c=date_c), file=display, fix=SERIES_FIX)
        raise InputError(msg(N_("no latitude/longitude columns found (columns: {cols})"), cols=cols[:20]), file=display,
                         fix=msg(N_("name them lat/latitude/y and lon/lng/long/longitude/x, or add a block_id column")))
    rows = row_numbers(frame, first_row)
    out = pd.DataFrame({"_row": rows}, index=frame.index)
    problems: list[Problem] = []
    warnings: list[str] = []
    if lat_c and lon_c:
        out["lat"], p1 = parse_numbers(frame[lat_c], rows, lat_c, required=block_c is None)
        out["lon"], p2 = parse_numbers(frame[lon_c], rows, lon_c, required=block_c is None)
        problems += p1 + p2
        out.attrs["lat_field"], out.attrs["lon_field"] = lat_c, lon_c
    else:
        out["lat"] = np.nan
        out["lon"] = np.nan
        warnings.append(msg(N_("no coordinates: rows are placed at their block's centre (geo_precision 'block')")))
    date_c = find_column(cols, DATE_NAMES)
    if date_c is None:
        raise InputError(msg(N_("no date column found (columns: {cols})"), cols=cols[:20]), file=display,
                         fix=msg(N_("name the date column 'date' (YYYY-MM-DD preferred)")))
    out["date"], p, w = parse_dates(frame[date_c], rows, date_c)
    problems += p
    if w:
        warnings.append(msg(N_("column {date_c!r}: {w}"), date_c=date_c, w=w))
    mapped = {c for c in (lat_c, lon_c, date_c) if c is not None}  # the columns are text: None matches none
    problems += add_event_fields(out, frame, cols, rows, mapped)
    out["_rowhash"] = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    out["kind"] = out["kind"].fillna("point")
    out["dataset"] = dataset or "csv upload"
    ignored = [c for c in cols if c not in mapped]
    if ignored:
        warnings.append(msg(N_("columns not used: {ignored}"), ignored=ignored[:30]))
    return Parsed("events", out, "csv", problems=problems, warnings=warnings,
                  meta={"acled": False, "columns": {"lat": lat_c, "lon": lon_c, "date": date_c}},
                  name_hint=Path(display).stem)
