"""ACLED exports (CSV or XLSX, ACLED's standard column set) -> events.

ACLED's terms forbid passing its rows on: a layer read here is marked
``acled=True`` in the workspace manifest, the dashboard shows it aggregated
(by block or governorate and period) unless a person switches to event detail
for themselves, never offers its rows for download, and shows
:data:`acled_attribution` wherever its data shows. No ACLED row ships with the project.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pipeline.core.errors import InputError
from pipeline.core.i18n import DEFAULT, N_, isolate, msg, translate
from pipeline.runtime.detect import (
    Detected,
    Parsed,
    Problem,
    check_count,
    is_hashtag_row,
    read_table,
    release_pool,
)
from pipeline.runtime.readers.csv_points import parse_dates, parse_numbers, pcode_for_names, row_numbers, text_column

ACLED_CREDIT = "Armed Conflict Location & Event Data (ACLED), www.acleddata.com."  # ACLED's credit, as ACLED writes it
ACLED_NOTE = N_("Imported by the user from their own ACLED export; shown aggregated, not redistributed.")
acled_attribution = f"{ACLED_CREDIT} {ACLED_NOTE}"  # what an ACLED layer's manifest entry stores


def attribution_in(stored: str, lang: str) -> str:
    """A layer's stored attribution in ``lang``: ACLED's credit as written (isolated in right-to-left text) and the
    project's note translated; any other attribution as written."""
    if lang == DEFAULT or stored != acled_attribution:
        return stored
    return f"{isolate(ACLED_CREDIT)} {translate(ACLED_NOTE, lang)}"

ACLED_COLUMNS = ("event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
                 "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
                 "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3",
                 "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
                 "fatalities", "tags", "timestamp")

# ACLED sub_event_type -> events.kind (anything else: a slug of the sub-event type)
KINDS: dict[str, str] = {
    "air/drone strike": "airstrike",
    "shelling/artillery/missile attack": "shelling",
    "armed clash": "armed_clash",
    "attack": "attack",
    "remote explosive/landmine/ied": "explosive",
    "grenade": "grenade",
    "suicide bomb": "suicide_bomb",
    "looting/property destruction": "property_destruction",
    "abduction/forced disappearance": "abduction",
    "sexual violence": "sexual_violence",
    "peaceful protest": "protest",
    "protest with intervention": "protest",
    "excessive force against protesters": "protest_force",
    "violent demonstration": "riot",
    "mob violence": "riot",
    "arrests": "arrests",
    "disrupted weapons use": "disrupted_weapons_use",
    "government regains territory": "territory_change",
    "non-state actor overtakes territory": "territory_change",
    "non-violent transfer of territory": "territory_change",
    "headquarters or base established": "base_established",
    "agreement": "agreement",
    "change to group/activity": "other",
    "other": "other",
}


def kind_of(sub_event_type: pd.Series) -> pd.Series:
    """events.kind from ACLED's sub_event_type (vectorised over the few distinct values)."""
    uniq = sub_event_type.dropna().astype(str).unique()
    lookup = {u: KINDS.get(u.strip().lower()) or (re.sub(r"[^a-z0-9]+", "_", u.strip().lower()).strip("_") or "other")
              for u in uniq}
    return sub_event_type.map(lookup).astype("string")


# The columns read (the rest of an export is never loaded: a 1M-row export stays small in memory).
USED_COLUMNS = ("event_id_cnty", "event_date", "event_type", "sub_event_type", "latitude", "longitude", "fatalities",
                "location", "source", "geo_precision", "notes", "admin1", "admin2", "admin3", "country")


def _take(frame: pd.DataFrame, col: str) -> pd.Series:
    """Column ``col``, removed from ``frame`` (its memory goes once the caller is done with it)."""
    return frame.pop(col)


def _take_text(frame: pd.DataFrame, col: str) -> pd.Series:
    """Column ``col`` as stripped text (empty if absent), removed from ``frame``."""
    if col not in frame.columns:
        return text_column(frame, None)
    out = text_column(frame, col)
    del frame[col]
    return out


def read_acled(path: Path, det: Detected, display: str, *, frame: pd.DataFrame | None = None,
               first_row: int = 2) -> Parsed:
    """Read an ACLED export into the events columns plus ``lat``/``lon`` (joins happen in imports).

    ``frame``/``first_row``: one chunk of the file already read, and the row number of its first row."""
    if frame is None:
        frame = read_table(path, det.container, display, columns=USED_COLUMNS)
    frame.columns = [c.strip().lower() for c in frame.columns]
    first = first_row
    if first_row == 2 and len(frame) and is_hashtag_row(frame.iloc[0].tolist()):  # HDX copies carry an HXL row
        frame = frame.iloc[1:]
        first = 3
    check_count(len(frame), display)
    if frame.empty:
        raise InputError(msg(N_("the ACLED export has a header but no rows")), file=display)
    missing = [c for c in ("event_id_cnty", "event_date", "sub_event_type", "latitude", "longitude")
               if c not in frame.columns]
    if missing:
        raise InputError(msg(N_("not an ACLED export: missing column(s) {missing}"), missing=missing), file=display,
                         fix=msg(N_("export from ACLED's Data Export Tool with all columns")))
    rows = row_numbers(frame, first)
    problems: list[Problem] = []
    warnings: list[str] = []
    out = pd.DataFrame({"_row": rows}, index=frame.index)
    # Each column of the export is dropped once read (``_take``): a 1M-row export never holds its text twice.
    out["lat"], p = parse_numbers(_take(frame, "latitude"), rows, "latitude", required=True)
    problems += p
    out["lon"], p = parse_numbers(_take(frame, "longitude"), rows, "longitude", required=True)
    problems += p
    out.attrs["lat_field"], out.attrs["lon_field"] = "latitude", "longitude"
    out["date"], p, w = parse_dates(_take(frame, "event_date"), rows, "event_date")
    problems += p
    if w:
        warnings.append(msg(N_("{field}: {w}"), field="event_date", w=w))
    out["event_id"] = _take_text(frame, "event_id_cnty")
    empty_id = out["event_id"].isna() | (out["event_id"] == "")
    problems += [Problem(int(r), "event_id_cnty", msg(N_("empty event id"))) for r in rows[empty_id].tolist()]
    out["kind"] = kind_of(frame["sub_event_type"]).fillna("other")
    out["event_type"] = _take_text(frame, "event_type")
    out["sub_event_type"] = _take_text(frame, "sub_event_type")  # kept as ACLED writes them, for filtering
    if "fatalities" in frame.columns:
        out["fatalities"], p = parse_numbers(_take(frame, "fatalities"), rows, "fatalities", required=False,
                                             integer=True)
        problems += p
    else:
        out["fatalities"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    out["location"] = _take_text(frame, "location")
    out["source"] = _take_text(frame, "source")
    out["source_url"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    out["geo_precision"] = _take_text(frame, "geo_precision")
    out["notes"] = _take_text(frame, "notes")
    out["dataset"] = "ACLED"
    out["block_id"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    # Gaza's governorates are ACLED's admin2 ("Khan Yunis", "Deir El Balah", "Gaza City", ...)
    hint = pd.Series(pd.NA, index=frame.index, dtype="string")
    for col in ("admin2", "admin1", "admin3"):
        if col in frame.columns:
            hint = hint.fillna(pcode_for_names(_take_text(frame, col)))
    out["pcode_hint"] = hint
    if "country" in frame.columns:
        countries = sorted(frame["country"].dropna().astype(str).unique().tolist())[:10]
        if countries and countries != ["Palestine"]:
            warnings.append(msg(N_("countries in the export: {countries}; only points in the Gaza Strip are accepted"),
                                 countries=countries))
    del frame
    release_pool()
    return Parsed("events", out, "acled", problems=problems, warnings=warnings,
                  meta={"acled": True, "attribution": acled_attribution},
                  name_hint=Path(display).stem)
