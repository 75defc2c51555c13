"""HXL-tagged tables (CSV or XLSX): columns are mapped by their hashtags, not their names.

HXL (Humanitarian Exchange Language) puts a row of hashtags under the header:
``#geo+lat``, ``#date+reported``, ``#adm1 +name`` (spaces allowed), ``+i_ar``
for Arabic text. A small tag parser is used rather than libhxl: libhxl reads
rows into its own model (and pulls in a network stack), while the rest of the
pipeline is vectorised pandas; the subset used here is a few lines.

Two shapes are read:
- points: a latitude and a longitude tag -> events (``#affected+killed`` feeds
  ``fatalities``; the first other ``#affected``/``#inneed``/... value is kept as
  ``figure`` with its tag in ``figure_tag``);
- governorate-level figures: an ``#adm1``/``#adm2`` code or name (English or
  ``+i_ar``) naming a Gaza governorate and at least one numeric figure tag ->
  one row per (row, figure) with ``metric`` = the tag.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.core.errors import InputError
from pipeline.core.i18n import N_, msg
from pipeline.core.layers import PCODES
from pipeline.runtime.detect import Detected, Parsed, Problem, check_count, is_hashtag_row, read_table
from pipeline.runtime.readers.csv_points import (
    SERIES_FIX,
    parse_dates,
    parse_numbers,
    pcode_for_names,
    row_numbers,
    text_column,
)
from pipeline.runtime.readers.qualified import parse_qualified

FIGURE_HASHTAGS = ("#affected", "#inneed", "#targeted", "#reached", "#population", "#value", "#total",
                   "#indicator", "#capacity")
_TAG = re.compile(r"^#[a-z][a-z0-9_]*$")
# Where an event's kind is written, best first; a row empty in one is read from the next.
KIND_TAGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("#event", ("type",)), ("#crisis", ("type",)), ("#event", ("category",)), ("#event", ("subtype",)),
    ("#incident", ("type",)), ("#impact", ("type",)), ("#event", ("displacement_type",)), ("#crisis", ()),
    ("#cause", ()), ("#event", ("cause",)))


@dataclass(frozen=True)
class Tag:
    """A parsed HXL tag: ``hashtag`` (``#adm1``) and its ``attrs`` ({``name``, ``i_ar``})."""

    hashtag: str
    attrs: frozenset[str]

    def __str__(self) -> str:
        return self.hashtag + "".join(f"+{a}" for a in sorted(self.attrs))

    def has(self, *attrs: str) -> bool:
        return all(a in self.attrs for a in attrs)


def parse_tag(text: object) -> Tag | None:
    """``"#adm1 +name +i_ar"`` -> Tag('#adm1', {'name', 'i_ar'}); None for an empty or invalid cell."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    s = re.sub(r"\s+", "", str(text)).lower()
    if not s.startswith("#"):
        return None
    head, *attrs = s.split("+")
    if not _TAG.match(head):
        return None
    return Tag(head, frozenset(a for a in attrs if a))


def find_tag_row(frame: pd.DataFrame) -> tuple[list[Tag | None], pd.DataFrame, int]:
    """(tags per column, data rows, spreadsheet number of the first data row)."""
    if is_hashtag_row(list(frame.columns)):
        return [parse_tag(c) for c in frame.columns], frame, 2
    for k in range(min(3, len(frame))):
        if is_hashtag_row(frame.iloc[k].tolist()):
            tags = [parse_tag(v) for v in frame.iloc[k].tolist()]
            return tags, frame.iloc[k + 1:], k + 3
    raise InputError(msg(N_("no HXL hashtag row found in the first rows")), fix=msg(N_("put the #tags row right under the header")))


def _pick(cols: dict[str, Tag], *, hashtags: tuple[str, ...], need: tuple[str, ...] = (),
          avoid: tuple[str, ...] = ()) -> str | None:
    for c, t in cols.items():
        if t.hashtag in hashtags and t.has(*need) and not any(a in t.attrs for a in avoid):
            return c
    return None


def _date_column(cols: dict[str, Tag]) -> str | None:
    dates = {c: t for c, t in cols.items() if t.hashtag == "#date"}
    order: list[Callable[[Tag], bool]] = [
        lambda t: not t.attrs,
        lambda t: not (t.attrs & {"start", "end", "year", "created", "updated", "month"}),
        lambda t: "start" in t.attrs and not (t.attrs & {"year", "created", "updated"}),
        lambda t: not (t.attrs & {"year", "created", "updated"}),
    ]
    for rule in order:
        for c, t in dates.items():
            if rule(t):
                return c
    return None


def read_hxl(path: Path, det: Detected, display: str) -> Parsed:
    """Read an HXL-tagged CSV/XLSX as points (events) or governorate-level figures."""
    frame = read_table(path, det.container, display)
    try:
        tags, data, first = find_tag_row(frame)
    except InputError as exc:
        raise InputError(exc.reason, file=display, fix=exc.fix) from exc
    check_count(len(data), display)
    if data.empty:
        raise InputError(msg(N_("the HXL table has a header and tags but no data rows")), file=display)
    data = data.copy()
    data.columns = [f"{i}:{c}" for i, c in enumerate(frame.columns)]  # unique names even for blank headers
    cols = {c: t for c, t in zip(data.columns, tags, strict=True) if t is not None}
    tag_of = {c: str(t) for c, t in cols.items()}
    rows = row_numbers(data, first)
    lat_c = _pick(cols, hashtags=("#geo",), need=("lat",)) or _pick(cols, hashtags=("#lat", "#latitude"))
    lon_c = (_pick(cols, hashtags=("#geo",), need=("lon",)) or _pick(cols, hashtags=("#geo",), need=("long",))
             or _pick(cols, hashtags=("#lon", "#long", "#lng", "#longitude")))
    adm_cols = [c for c, t in cols.items() if t.hashtag in ("#adm1", "#adm2", "#adm", "#admin1", "#admin2")]
    figure_cols = [c for c, t in cols.items() if t.hashtag in FIGURE_HASHTAGS]
    date_c = _date_column(cols)
    meta: dict[str, object] = {"acled": False, "tags": {c.split(":", 1)[1]: tag_of[c] for c in cols}}

    pcode = pd.Series(pd.NA, index=data.index, dtype="string")
    for c in adm_cols:
        pcode = pcode.fillna(pcode_for_names(text_column(data, c)))
    t = _Table(data, cols, tag_of, rows, figure_cols, date_c, pcode,
               name_c=_pick(cols, hashtags=("#adm2", "#adm1", "#adm"), need=("name",), avoid=("i_ar",)),
               name_ar_c=_pick(cols, hashtags=("#adm2", "#adm1", "#adm", "#loc"), need=("i_ar",)),
               meta=meta, display=display)
    if lat_c and lon_c:
        return _hxl_events(t, lat_c, lon_c)
    return _hxl_figures(t, adm_cols)


@dataclass(frozen=True)
class _Table:
    """An HXL table's data rows with its tagged columns, as both readers below take it."""

    data: pd.DataFrame
    cols: dict[str, Tag]
    tag_of: dict[str, str]
    rows: pd.Series
    figure_cols: list[str]
    date_c: str | None
    pcode: pd.Series
    name_c: str | None
    name_ar_c: str | None
    meta: dict[str, object]
    display: str


def _hxl_events(t: _Table, lat_c: str, lon_c: str) -> Parsed:
    """Rows with coordinates: events."""
    data, cols, tag_of, rows, figure_cols, date_c, display = (t.data, t.cols, t.tag_of, t.rows, t.figure_cols,
                                                                t.date_c, t.display)
    problems: list[Problem] = []
    warnings: list[str] = []
    out = pd.DataFrame({"_row": rows}, index=data.index)
    out["lat"], p = parse_numbers(data[lat_c], rows, tag_of[lat_c], required=True)
    problems += p
    out["lon"], p = parse_numbers(data[lon_c], rows, tag_of[lon_c], required=True)
    problems += p
    out.attrs["lat_field"], out.attrs["lon_field"] = tag_of[lat_c], tag_of[lon_c]
    if date_c is None:
        raise InputError(msg(N_("no #date tag")), file=display, fix=msg(N_("tag the event date column #date")))
    out["date"], p, w = parse_dates(data[date_c], rows, tag_of[date_c])
    problems += p
    if w:
        warnings.append(f"{tag_of[date_c]}: {w}")  # the sentence is matched back by i18n.recognise
    id_c = _pick(cols, hashtags=("#event", "#meta", "#activity"), need=("id",)) or \
        _pick(cols, hashtags=("#event", "#meta"), need=("code",))
    out["event_id"] = text_column(data, id_c)
    kind, kind_warning = _kinds(data, cols)
    out["kind"] = kind
    warnings += kind_warning
    qual_c = _qualifier_column(data, cols)
    figure_cols = [c for c in figure_cols if c != qual_c]
    killed = [c for c in figure_cols if cols[c].has("killed")]
    if killed:
        out["fatalities"], out["fatalities_qualifier"], p = parse_qualified(
            data[killed[0]], rows, tag_of[killed[0]], integer=True)
        problems += p
        out.attrs["fatalities_field"] = tag_of[killed[0]]
    else:
        out["fatalities"] = pd.Series(pd.NA, index=data.index, dtype="Int64")
    others = [c for c in figure_cols if c not in killed]
    preferred = [c for c in others if cols[c].attrs & {"displaced", "idps", "idp"}] or others
    if preferred:
        fc = preferred[0]
        out["figure"], out["figure_qualifier"], p = parse_qualified(
            data[fc], rows, tag_of[fc], qualifier_column=data[qual_c] if qual_c else None)
        problems += p
        out["figure_tag"] = tag_of[fc]
    loc_c = (_pick(cols, hashtags=("#loc",), need=("name",), avoid=("i_ar",)) or
             _pick(cols, hashtags=("#loc",), avoid=("i_ar", "type")) or t.name_c)
    out["location"] = text_column(data, loc_c)
    if t.name_ar_c:
        out["location_ar"] = text_column(data, t.name_ar_c)
    out["source"] = text_column(data, _pick(cols, hashtags=("#meta",), need=("source",)) or
                                _pick(cols, hashtags=("#org",), need=("name",)) or _pick(cols, hashtags=("#org",)))
    out["source_url"] = text_column(data, _pick(cols, hashtags=("#meta",), need=("url",)))
    out["geo_precision"] = text_column(data, _pick(cols, hashtags=("#geo",), need=("precision",)))
    out["notes"] = text_column(data, _pick(cols, hashtags=("#description", "#narrative")) or
                               _pick(cols, hashtags=("#meta",), need=("description",)))
    out["dataset"] = f"HXL: {Path(display).stem}"
    out["block_id"] = pd.Series(pd.NA, index=data.index, dtype="Int64")
    out["pcode_hint"] = t.pcode
    out["_rowhash"] = pd.util.hash_pandas_object(data, index=False).to_numpy()
    return Parsed("events", out, "hxl", problems=problems, warnings=warnings, meta=t.meta,
                  name_hint=Path(display).stem)


def _kinds(data: pd.DataFrame, cols: dict[str, Tag]) -> tuple[pd.Series, list[str]]:
    """Each row's kind from the first of :data:`KIND_TAGS` that holds a value for it (a column tagged
    ``#event+type`` but left empty, as IDMC's is, gives way to ``#event+displacement_type``)."""
    kind = pd.Series(pd.NA, index=data.index, dtype="string")
    used: list[str] = []
    for hashtag, need in KIND_TAGS:
        for c, t in cols.items():
            if t.hashtag != hashtag or not t.has(*need) or (not need and t.attrs - {"name"}) or "code" in t.attrs:
                continue
            vals = text_column(data, c).str.lower()
            vals = vals.where(vals != "")
            if vals.notna().any() and kind.isna().any():
                kind = kind.fillna(vals)
                used.append(str(t))
    if kind.isna().all():
        tags = ", ".join(h + "".join(f"+{a}" for a in n) for h, n in KIND_TAGS)
        return kind.fillna("unspecified"), [msg(N_("no row holds an event type (looked in {tags}): kind "
                                                   "'unspecified'"), tags=tags)]
    missing = int(kind.isna().sum())
    note: list[str] = [msg(N_("{missing} row(s) with no event type in {used}: kind 'unspecified'"),
                           missing=missing, used=", ".join(used))] if missing else []
    return kind.fillna("unspecified"), note


def _rows_text(rows: pd.Series, most: int = 20) -> str:
    r = [str(int(x)) for x in rows]
    return f"row{'s' if len(r) > 1 else ''} " + ", ".join(r[:most]) + (f" ... ({len(r)} in all)" if len(r) > most else "")


def _qualifier_column(data: pd.DataFrame, cols: dict[str, Tag]) -> str | None:
    """A sheet's own qualifier column (IDMC's ``qualifier``, tagged ``#total``: "total", "approximately")."""
    for c in data.columns:
        header = str(c).split(":", 1)[1].strip().lower()
        t = cols.get(c)
        if header in ("qualifier", "figure_qualifier", "figure qualifier") or (t and ("qualifier" in t.attrs
                                                                                      or t.hashtag == "#qualifier")):
            return str(c)
    return None


def _hxl_figures(t: _Table, adm_cols: list[str]) -> Parsed:
    """Rows without coordinates: figures by governorate."""
    data, cols, tag_of, rows, figure_cols, date_c, pcode, display = (t.data, t.cols, t.tag_of, t.rows, t.figure_cols,
                                                                       t.date_c, t.pcode, t.display)
    name_c, name_ar_c = t.name_c, t.name_ar_c
    problems: list[Problem] = []
    warnings: list[str] = []
    if not adm_cols:
        raise InputError(msg(N_("the HXL table has neither coordinates (#geo+lat/#geo+lon) nor governorates (#adm1/#adm2 +code or +name): country-level figures cannot be placed on the map")),
                         file=display, fix=SERIES_FIX if date_c is not None and figure_cols else
                         "add #geo+lat/#geo+lon, or an #adm1+code/#adm1+name column")
    if not pcode.notna().any():
        sample = sorted(set(text_column(data, adm_cols[0]).dropna().astype(str).head(50)))[:5]
        raise InputError(msg(N_("no row names a Gaza governorate (e.g. {sample} in {tag_of}); expected a pcode {sorted} or a governorate name"), sample=sample, tag_of=tag_of[adm_cols[0]], sorted=sorted(PCODES)), file=display,
                         fix=msg(N_("use OCHA pcodes (#adm2+code PS0255 ... PS0275) or governorate names")))
    if not figure_cols:
        raise InputError(msg(N_("the HXL table names governorates but holds no figure to map (#affected, #inneed, #population, #value, #indicator ...)")), file=display,
                         fix=msg(N_("tag the figure column, e.g. #affected+idps")))
    outside = pcode.isna()
    for c in adm_cols[:1]:
        vals = text_column(data, c)
        problems += [Problem(int(r), tag_of[c], msg(N_("{v!r} is not a Gaza governorate (pcode or name)"), v=v))
                     for r, v in zip(rows[outside].tolist(), vals[outside].tolist(), strict=True)]
    if date_c is not None:
        dates, p, w = parse_dates(data[date_c], rows, tag_of[date_c])
        problems += p
        if w:
            warnings.append(f"{tag_of[date_c]}: {w}")  # the sentence is matched back by i18n.recognise
    else:
        dates = pd.Series(pd.NaT, index=data.index, dtype="datetime64[ns]")
        warnings.append(msg(N_("no #date tag: figures carry no date")))
    parts = []
    qual_c = _qualifier_column(data, cols)
    no_value: list[str] = []
    for fc in [c for c in figure_cols if c != qual_c]:
        vals, qual, p = parse_qualified(data[fc], rows, tag_of[fc], qualifier_column=data[qual_c] if qual_c else None)
        problems += p
        said = (qual == "not reported").fillna(False).astype(bool) & pcode.notna()
        if said.any():
            no_value.append(f"{tag_of[fc]} {_rows_text(rows[said])}")
        part = pd.DataFrame({"_row": rows, "date": dates, "pcode": pcode, "metric": tag_of[fc], "value": vals,
                             "qualifier": qual,
                             "name": text_column(data, name_c),
                             "name_ar": text_column(data, name_ar_c) if name_ar_c else pd.NA,
                             "source": text_column(data, _pick(cols, hashtags=("#meta",), need=("source",)) or
                                                   _pick(cols, hashtags=("#org",))),
                             "dataset": f"HXL: {Path(display).stem}"}, index=data.index)
        parts.append(part[part["value"].notna() | part["pcode"].isna()])
    out = pd.concat(parts, ignore_index=True)
    out["name_ar"] = out["name_ar"].astype("string")
    if no_value:
        warnings.append(msg(N_("figures written as not reported ('not reported', '-', 'n/a') are no value, not 0, and are left out: {items}"), items='; '.join(no_value)))
    return Parsed("figures", out, "hxl", problems=problems, warnings=warnings, meta=t.meta,
                  name_hint=Path(display).stem)
