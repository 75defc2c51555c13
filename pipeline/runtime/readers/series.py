"""Dated tables without coordinates: series (aid trucks by crossing and day, figures by governorate).

A series table has a date column, and optionally a place column (a crossing: Kerem Shalom, Rafah,
Zikim, Erez ...; or a governorate pcode or name), a category column (cargo, commodity ...) and a
value column (trucks, count, value ...). Without a value column it is a line list: each row
counts as one (one row per truck). Rows are kept one per source row here; the import sums them to
days (date x place x category x metric) once rejected rows are left out.

Never guessed, never dropped silently: a date that cannot be read is a problem naming its row and
value; a date or value written "-", "n/a" or left blank is *no value*: left out and reported by row.
The unit is the one stated (``--unit``), else the file's unit column, else the value column's name
(``rows`` for a line list); the report says which.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from pipeline.core.errors import InputError
from pipeline.core.i18n import N_, msg
from pipeline.core.layers import PCODES
from pipeline.runtime.bundle import load_layer, load_manifest
from pipeline.runtime.detect import Detected, Parsed, Problem, check_count, is_hashtag_row, read_table
from pipeline.runtime.readers.csv_points import DATE_NAMES, find_column, parse_dates, pcode_for_names, text_column
from pipeline.runtime.readers.qualified import no_value_mask, parse_qualified, sum_qualifier

CROSSING_NAMES = ("crossing", "crossing_point", "border_crossing", "crossing_name", "entry_point",
                  "point_of_entry", "entry", "gate", "terminal", "via")
GOVERNORATE_NAMES = ("governorate", "governorate_pcode", "pcode", "adm2_pcode", "admin2_pcode", "adm1_pcode",
                     "admin1_pcode", "adm2", "admin2", "adm2_name", "admin2_name", "adm1", "admin1", "district",
                     "gov")
PLACE_NAMES = ("place", "location", "site", "area", "region")
CATEGORY_NAMES = ("cargo_category", "category", "cargo", "cargo_type", "commodity", "sector", "type", "item",
                  "items", "cluster", "metric", "indicator")
VALUE_NAMES = ("trucks", "no_of_trucks", "no._of_trucks", "number_of_trucks", "num_trucks", "truck_count",
               "trucks_count", "count", "value", "number", "total", "figure", "amount", "n")
UNIT_NAMES = ("unit", "unit_of_measure", "uom")
SOURCE_NAMES = ("source", "sources", "reported_by")
MORE_DATE_WORDS = ("date", "day")
YEAR_NAMES = ("year", "yr", "reporting_year", "report_year")
_YEAR = re.compile(r"^(\d{4})(?:\.0*)?$")  # "2023" (a spreadsheet may write 2023.0)
YEAR_SPAN = (1900, 2100)


def _norm(text: str) -> str:
    t = re.sub(r"[^\w\u0600-\u06FF]+", " ", str(text).lower())
    t = re.sub(r"\b(crossing|border|terminal|point|gate|checkpoint)\b", " ", t)
    return re.sub(r"\s+", " ", t).strip()


@lru_cache(maxsize=4)
def _crossings(built: str) -> dict[str, tuple[str, str | None]]:
    """Normalised crossing name or alias -> (gazetteer name, pcode), from the bundle's places."""
    places = load_layer("places")
    out: dict[str, tuple[str, str | None]] = {}
    crossings = places[places["kind"] == "crossing"]
    for name_en, place_id, aliases, code in zip(crossings["name_en"], crossings["place_id"], crossings["aliases"],
                                                crossings["pcode"], strict=True):
        pcode = str(code) if isinstance(code, str) else None
        for name in [name_en, place_id, *str(aliases or "").split("|")]:
            if str(name).strip():
                out.setdefault(_norm(str(name)), (str(name_en), pcode))
    return out


def crossing_names(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(gazetteer name, pcode) for crossing names as written ("Kerem Shalom", "Karem Abu Salem", "Rafah");
    NA for a crossing the gazetteer does not know (the caller keeps the name as written)."""
    table = _crossings(str(load_manifest().get("built_at")))
    found = [table.get(_norm(v)) if isinstance(v, str) else None for v in values.tolist()]
    name = pd.Series([t[0] if t else None for t in found], index=values.index, dtype="string")
    pcode = pd.Series([t[1] if t else None for t in found], index=values.index, dtype="string")
    return name, pcode


def _date_column(cols: list[str]) -> str | None:
    c = find_column(cols, DATE_NAMES)
    if c is not None:
        return c
    for col in cols:
        words = re.split(r"[\s_\-]+", str(col).strip().lower())
        if any(w in MORE_DATE_WORDS for w in words):
            return col
    return find_column(cols, YEAR_NAMES)


def _years(values: pd.Series) -> pd.Series:
    """The year of each value written as a year only ("2023"), else NA."""
    found = values.astype("string").str.strip().str.extract(_YEAR, expand=False)
    years = pd.to_numeric(found, errors="coerce")
    return years.where(years.between(*YEAR_SPAN)).astype("Int64")


def _dates(values: pd.Series, rows: pd.Series, field: str) -> tuple[pd.Series, list[Problem], list[str], str]:
    """(dates, problems, warnings, period) of a series' date column: ``day``, or ``year`` when every value is
    a year only ("2023": the year's figure, dated 1 January, never read as that day's). A year only among
    dates is refused by row: a yearly value cannot be summed with daily ones."""
    years = _years(values)
    if years.notna().all():
        dates = pd.to_datetime(years.astype(str) + "-01-01")
        said: list[str] = [msg(N_("column {date_c!r} holds years only (e.g. {sample!r}): each value is read as "
                                  "the figure of its whole year, kept as a yearly period (dated 1 January, the "
                                  "year's first day) and summed per year, not per day; the Timeline draws each "
                                  "year as one bar spanning it"), date_c=field, sample=str(values.iloc[0]).strip())]
        return dates, [], said, "year"
    got, problems, w = parse_dates(values.where(years.isna(), pd.NA), rows, field)
    problems = [q for q in problems if q.row not in set(rows[years.notna()].tolist())]
    problems += [Problem(int(r), field, msg(N_("{value!r} is a year only, in a column of dates: a yearly figure "
                                               "cannot be summed with daily ones"), value=str(v).strip()),
                         fix=msg(N_("write the full date, or put the yearly figures in a file of their own")))
                 for r, v in zip(rows[years.notna()], values[years.notna()], strict=True)]
    warnings: list[str] = [msg(N_("column {date_c!r}: {w}"), date_c=field, w=w)] if w else []
    return got, problems, warnings, "day"


def _place(frame: pd.DataFrame, cols: list[str]) -> tuple[str | None, str | None]:
    """(place column, its kind: crossing / governorate / place)."""
    for names, kind in ((CROSSING_NAMES, "crossing"), (GOVERNORATE_NAMES, "governorate"), (PLACE_NAMES, "place")):
        c = find_column(cols, names)
        if c is not None:
            return c, kind
    for col in cols:  # "Border Crossing", "Crossing point used"
        if "crossing" in str(col).lower():
            return col, "crossing"
    return None, None


def _places(values: pd.Series, kind: str | None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(place as shown, pcode, known) for a place column: crossings by the gazetteer, governorates to pcodes;
    ``known`` is False where the name is in neither (kept as written)."""
    text = values.astype("string").str.strip()
    text = text.where(~no_value_mask(text))
    if kind == "crossing":
        name, pcode = crossing_names(text)
        return name.fillna(text), pcode, name.notna()
    gov = pcode_for_names(text)
    gov_name = gov.map(PCODES).astype("string")  # "PS0275" and "Rafah" are one place
    if kind == "governorate":
        return gov_name.fillna(text), gov, gov.notna()
    name, pcode = crossing_names(text)
    return gov_name.fillna(name).fillna(text), gov.fillna(pcode), gov.notna() | name.notna()


def read_series(path: Path, det: Detected, display: str, *, unit: str | None = None,
                value: str | None = None) -> Parsed:
    """Read a dated CSV/XLSX (no coordinates needed) as series rows: one per source row."""
    frame = read_table(path, det.container, display)
    first = 2
    if len(frame) and is_hashtag_row(frame.iloc[0].tolist()):  # an HXL tag row: the headers name the columns
        frame, first = frame.iloc[1:], 3
    check_count(len(frame), display)
    if frame.empty:
        raise InputError(msg(N_("the file has a header but no data rows")), file=display, fix=msg(N_("add rows under the header")))
    cols = list(frame.columns)
    rows = pd.Series(range(first, first + len(frame)), index=frame.index)
    date_c = _date_column(cols)
    if date_c is None:
        raise InputError(msg(N_("a series needs a date column; none found (columns: {cols})"), cols=cols[:20]), file=display,
                         fix=msg(N_("name the date column 'date' (or 'Date', 'day', 'report date')")))
    used = {date_c}
    place_c, place_kind = _place(frame, [c for c in cols if c not in used])
    used |= {place_c} if place_c else set()
    if value is not None:
        value_c = find_column(cols, (re.sub(r"[\s\-]+", "_", value.strip().lower()),))
        if value_c is None:
            raise InputError(msg(N_("no column {value!r} to read values from (columns: {cols})"), value=value, cols=cols[:20]), file=display,
                             fix=msg(N_("give --value the header of the count column as the file writes it")))
    else:
        value_c = find_column([c for c in cols if c not in used], VALUE_NAMES)
    used |= {value_c} if value_c else set()
    cat_c = find_column([c for c in cols if c not in used], CATEGORY_NAMES)
    used |= {cat_c} if cat_c else set()
    unit_c = find_column([c for c in cols if c not in used], UNIT_NAMES)
    source_c = find_column([c for c in cols if c not in used], SOURCE_NAMES)

    problems: list[Problem] = []
    warnings: list[str] = []
    no_date = no_value_mask(frame[date_c])
    dates = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    period = "day"
    if (~no_date).any():
        got, p, w, period = _dates(frame.loc[~no_date, date_c], rows[~no_date], date_c)
        dates[~no_date] = got
        problems += p
        warnings += w
    if value_c is not None:
        values, qualifier, p = parse_qualified(frame[value_c], rows, value_c)
        problems += p
        no_val = values.isna() & ~rows.isin({q.row for q in p})
        metric = _metric_name(value_c)
    else:
        values = pd.Series(1.0, index=frame.index)
        qualifier = pd.Series(pd.NA, index=frame.index, dtype="string")
        no_val = pd.Series(False, index=frame.index)
        metric = _metric_name(unit) if unit and unit.strip() else "rows"
        warnings.append(msg(N_("no count column ({items}, count, value ...): a line list, each row counted as one (one row per truck); name the count column with --value if the file has one"), items=', '.join(VALUE_NAMES[:3])))
    unit_from, units = _units(frame, unit, unit_c, value_c)
    place, pcode, known = (_places(frame[place_c], place_kind) if place_c else
                           ((pd.Series(pd.NA, index=frame.index, dtype="string"),) * 2
                            + (pd.Series(False, index=frame.index),)))
    out = pd.DataFrame({"_row": rows, "date": dates, "metric": metric, "value": values.astype(float),
                        "qualifier": qualifier, "unit": units, "place": place, "pcode": pcode,
                        "category": text_column(frame, cat_c) if cat_c else pd.NA,
                        "source": text_column(frame, source_c).fillna(display) if source_c else display,
                        "dataset": f"series: {Path(display).stem}"}, index=frame.index)
    out["category"] = out["category"].astype("string")
    empty = no_date | no_val
    no_value = {"rows": [int(r) for r in rows[empty]],
                "date": [int(r) for r in rows[no_date]], "value": [int(r) for r in rows[no_val & ~no_date]]}
    if place_c is not None:
        named = out["place"].notna() & ~empty
        unknown = sorted(set(out.loc[named & ~known, "place"].astype(str)))
        if unknown:
            warnings.append(msg(N_("{n} crossing(s) not in the gazetteer, kept as written with no governorate: "
                                   "{unknown}"), n=len(unknown), unknown=unknown[:20])
                            if place_kind == "crossing" else
                            msg(N_("{n} place(s) matched to no governorate, kept as written with no governorate: "
                                   "{unknown}"), n=len(unknown), unknown=unknown[:20]))
        outside = sorted(set(out.loc[named & known & out["pcode"].isna(), "place"].astype(str)))
        if outside:
            warnings.append(msg(N_("{n} crossing(s) outside the Strip, counted with no governorate: {places}"),
                                n=len(outside), places=outside[:20]))
    ignored = [c for c in cols if c not in used | {unit_c, source_c}]
    if ignored:
        warnings.append(msg(N_("columns not used: {ignored}"), ignored=ignored[:30]))
    meta = {"acled": False, "columns": {"date": date_c, "place": place_c, "value": value_c, "category": cat_c},
            # a year's figure is dated its first day: 1 January 2023 stands for all of 2023, war months included
            **({"claims_war": False} if period == "year" else {}),
            "series": {"metric": metric, "unit": None if unit_from == "the file's unit column" else str(units.iloc[0]),
                       "unit_from": unit_from, "value_column": value_c, "counted_rows": value_c is None,
                       "date_column": date_c, "place_column": place_c, "place_kind": place_kind,
                       "category_column": cat_c, "period": period,
                       # the qualifier of the rows' sum: "at least" when one of them said "more than 20"
                       "total_qualifier": sum_qualifier(qualifier[~empty & ~rows.isin({q.row for q in problems})]
                                                        .dropna().tolist())},
            "no_value": no_value}
    return Parsed("series", out[~empty], "series", problems=problems, warnings=warnings, meta=meta,
                  name_hint=Path(display).stem)


def _metric_name(column: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(column).lower()).strip("_") or "value"


def _units(frame: pd.DataFrame, unit: str | None, unit_c: str | None, value_c: str | None
           ) -> tuple[str, pd.Series]:
    """(where the unit came from, the unit of each row)."""
    if unit and unit.strip():
        return "stated with --unit", pd.Series(unit.strip(), index=frame.index, dtype="string")
    if unit_c is not None:
        text = text_column(frame, unit_c)
        if text.notna().any() and pd.to_numeric(text, errors="coerce").isna().all():
            return "the file's unit column", text.fillna("unstated")
    name = str(value_c).strip() if value_c else "rows"
    return "the value column's name" if value_c else "a count of rows", pd.Series(name, index=frame.index,
                                                                                   dtype="string")
