"""Published figures compiled for this project, each row with its source: OCHA's statements on the area under
evacuation orders, and the orders OCHA or UNRWA reported that no block source maps.

Both are shipped as attributed data beside the project's own figures, never merged into them.

* ``reference/ocha-statements.csv`` -> the ``statements`` layer. Each statement is given a framing
  (the start date its cumulative figure counts from), a measure, and whether our figure can be compared
  on the same definition (:data:`ANNOTATIONS`; a statement the table does not know is refused, so a new
  row gets a deliberate reading). The 2 Dec 2023 statement gives a southern and a northern part; they are
  kept as their own rows (``derived_from``) so the population OCHA states for each part sits beside ours.
* ``orders/reported-unmapped-2023-12_2024-01.csv`` -> rows of the ``orders`` layer with kind
  ``reported, not mapped`` (no geometry, no block, area 0 in every mapped figure).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd

from pipeline.core.dates import DateParseError, parse_date
from pipeline.core.errors import InputError

STATEMENTS_FILE = "reference/ocha-statements.csv"
ZONE_REPORTS_FILE = "reference/zone-area-reports.csv"  # press figures for the zone's area, restated as data
REPORTED_FILE = "orders/reported-unmapped-2023-12_2024-01.csv"
KIND_REPORTED = "reported, not mapped"

STATEMENT_COLUMNS = ("stated_on", "refers_to", "statement", "figure", "unit", "definition", "attributed_to",
                     "source", "via")
REPORTED_COLUMNS = ("reported_on", "area_named", "reported_figures", "block_source", "attributed_to", "source",
                    "note")

# framing key -> start date (the same keys as pipeline.runtime.metrics.FRAMINGS)
FRAMING_SINCE = {"grid": date(2023, 12, 1), "war": date(2023, 10, 7), "ceasefire-ended": date(2025, 3, 18)}

MEASURE_SHARE = "share of the Strip under orders"
MEASURE_ORDER = "area of one order"
MEASURE_ZONE = "area of the declared humanitarian zone"


@dataclass(frozen=True)
class Reading:
    """How one statement is read: its measure, framing and whether our figure is on the same definition."""

    measure: str
    framing: str | None = None          # key of FRAMING_SINCE for cumulative shares
    comparable: bool = True
    reason: str = ""
    area_km2: float | None = None       # km² the statement gives besides its headline figure
    people_prewar: int | None = None    # pre-war population the statement gives
    order_ref: str | None = None        # the mapped order a one-order statement is about
    parts: tuple[tuple[str, float, float | None, int], ...] = ()  # (region, percent, km², people)


# (stated_on, refers_to) -> reading.  Figures are the statement's own (see its row).
ANNOTATIONS: dict[tuple[str, str], Reading] = {
    ("2023-12-02", "orders issued since 2023-12-01"): Reading(
        MEASURE_SHARE, "grid", reason="same definition: orders since the block grid of 1 Dec 2023",
        parts=(("south", 19.0, 69.0, 352_000), ("north", 6.0, None, 415_000))),
    ("2024-01-29", "one order of 2024-01-29"): Reading(
        MEASURE_ORDER, reason="one order: the mapped order of the same day", area_km2=12.43, people_prewar=300_000,
        order_ref="gazamaps-15"),
    ("2024-01-30", "orders issued since 2023-12-01"): Reading(
        MEASURE_SHARE, "grid", reason="same definition: orders since the block grid of 1 Dec 2023 (the statement's "
        "158 km² is 43% of the Strip, not 41%)", area_km2=158.0, people_prewar=1_380_000),
    ("2024-07-05", "one order of 2024-07-01"): Reading(
        MEASURE_ORDER, reason="one order: the mapped order of 1 Jul 2024 (OCHA's revised figure)", area_km2=85.0,
        order_ref="gazamaps-3"),
    ("2024-08-19", "orders issued since 2023-10-07"): Reading(
        MEASURE_SHARE, "war", reason="same definition: orders since 7 Oct 2023", area_km2=314.0),
    ("2024-08-12", "humanitarian zone"): Reading(
        MEASURE_ZONE, reason="the declared zone on the date"),
    ("2025-03-24", "orders issued since 2025-03-18"): Reading(
        MEASURE_SHARE, "ceasefire-ended", reason="same definition: orders since 18 Mar 2025; OCHA leaves the no-go "
        "zones out, as our figure does"),
    ("2025-05-22", "orders or militarised zones"): Reading(
        MEASURE_SHARE, "ceasefire-ended", comparable=False,
        reason="a wider definition: it adds Israeli-militarised (no-go) zones, which no file here maps; our figure "
               "counts evacuation orders only"),
}


def _date(value: object, label: str, row: int, col: str) -> date:
    try:
        return parse_date(value)
    except DateParseError as exc:
        raise InputError(f"unreadable date {value!r} ({exc})", file=label, row=row, field=col) from exc


def _read(path: str | Path, label: str, columns: tuple[str, ...]) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot be read as CSV ({exc})", file=label) from exc
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}", file=label)
    return df


def _url(text: str) -> str | None:
    m = re.search(r"https?://\S+", text or "")
    return m[0].rstrip(",);") if m else None


def read_statements(path: str | Path, *, label: str = STATEMENTS_FILE) -> pd.DataFrame:
    """The ``statements`` layer: one row per statement (plus its parts), with framing, measure and comparability."""
    df = _read(path, label, STATEMENT_COLUMNS)
    rows: list[dict[str, object]] = []
    for i, (_, r) in enumerate(df.iterrows()):  # a RangeIndex: position = label
        d = _date(r["stated_on"], label, i + 2, "stated_on")
        key = (d.isoformat(), r["refers_to"].strip())
        if key not in ANNOTATIONS:
            raise InputError(f"no reading for the statement {key} (add it to ANNOTATIONS with its framing and "
                             "whether it is comparable)", file=label, row=i + 2)
        a = ANNOTATIONS[key]
        try:
            figure = float(r["figure"])
        except ValueError as exc:
            raise InputError(f"figure {r['figure']!r} is not a number", file=label, row=i + 2,
                             field="figure") from exc
        sid = f"ocha-{d.isoformat()}"
        base = {
            "stated_on": d, "refers_to": r["refers_to"], "measure": a.measure, "region": None,
            "statement": r["statement"], "figure": figure, "unit": r["unit"],
            "area_km2": a.area_km2 if a.area_km2 is not None else (figure if r["unit"] == "km2" else None),
            "people_prewar": a.people_prewar, "definition": r["definition"], "framing": a.framing,
            "since": FRAMING_SINCE.get(a.framing) if a.framing else None,
            "comparable": a.comparable, "comparable_reason": a.reason, "order_ref": a.order_ref,
            "attributed_to": r["attributed_to"], "source": r["source"], "url": _url(r["source"]), "via": r["via"],
            "derived_from": None,
        }
        rows.append({"statement_id": sid, **base})
        for region, pct, km2, people in a.parts:
            rows.append({"statement_id": f"{sid}-{region}", **base, "region": region, "figure": pct,
                         "area_km2": km2, "people_prewar": people, "derived_from": sid,
                         "refers_to": f"{r['refers_to']}, {region} of Wadi Gaza"})
    out = pd.DataFrame(rows)
    out["people_prewar"] = out["people_prewar"].astype("Int64")
    out["area_km2"] = out["area_km2"].astype(float)
    return out.sort_values(["stated_on", "statement_id"]).reset_index(drop=True)


def read_zone_area_reports(path: str | Path, *, label: str = ZONE_REPORTS_FILE) -> pd.DataFrame:
    """Press figures for the declared zone's area, as rows of the ``statements`` layer (attributed, comparable with
    the outline shipped here: the same measure on the same date)."""
    df = _read(path, label, STATEMENT_COLUMNS)
    rows: list[dict[str, object]] = []
    for i, (_, r) in enumerate(df.iterrows()):
        d = _date(r["stated_on"], label, i + 2, "stated_on")
        try:
            figure = float(r["figure"])
        except ValueError as exc:
            raise InputError(f"figure {r['figure']!r} is not a number", file=label, row=i + 2,
                             field="figure") from exc
        if r["unit"] != "km2":
            raise InputError(f"unit {r['unit']!r}: a zone area is given in km2", file=label, row=i + 2, field="unit")
        rows.append({
            "statement_id": f"press-{d.isoformat()}-{i + 1}", "stated_on": d, "refers_to": r["refers_to"],
            "measure": MEASURE_ZONE, "region": None, "statement": r["statement"], "figure": figure,
            "unit": r["unit"], "area_km2": figure, "people_prewar": None, "definition": r["definition"],
            "framing": None, "since": None, "comparable": True,
            "comparable_reason": "same measure: the area of the zone declared on that date", "order_ref": None,
            "attributed_to": r["attributed_to"], "source": r["source"], "url": _url(r["source"]), "via": r["via"],
            "derived_from": None,
        })
    out = pd.DataFrame(rows)
    out["people_prewar"] = out["people_prewar"].astype("Int64")
    out["area_km2"] = out["area_km2"].astype(float)
    return out


def _people(text: str) -> int | None:
    """The first figure given as people or residents: ``"nearly 90,000 residents and ..."`` -> 90000."""
    m = re.search(r"(\d[\d,]*)\s+(?:people|residents)", text or "")
    return int(m[1].replace(",", "")) if m else None


def _km2(text: str) -> float | None:
    m = re.search(r"(\d+(?:\.\d+)?)\s*km2", text or "")
    return float(m[1]) if m else None


def read_reported_unmapped(path: str | Path, *, label: str = REPORTED_FILE) -> gpd.GeoDataFrame:
    """Orders OCHA or UNRWA reported that no block source maps, as ``orders`` rows of kind ``reported, not mapped``.

    ``reported_area_km2`` and ``reported_people`` are the figures the report gives (null where it gives none);
    ``possible_duplicate_of`` names the mapped GazaMaps order the row may be (from its note or block source).
    """
    df = _read(path, label, REPORTED_COLUMNS)
    rows: list[dict[str, object]] = []
    for i, (_, r) in enumerate(df.iterrows()):  # a RangeIndex: position = label
        d = _date(r["reported_on"], label, i + 2, "reported_on")
        dup = re.search(r"#(\d+)", f"{r['note']} {r['block_source']}")
        url = _url(r["source"])
        rows.append({
            "order_id": f"reported-{d.isoformat()}", "issued_on": d, "source_name": r["attributed_to"],
            "source_url": url, "link": None, "stated_area_km2": _km2(r["reported_figures"]) or _km2(r["area_named"]),
            "destination": None, "sources": f"{r['attributed_to']} (reported; {r['source']})",
            "source_urls": url or "", "merged_from": None, "kind": KIND_REPORTED, "area_km2": 0.0, "block_count": 0,
            "reported_area": r["area_named"], "reported_area_km2": _km2(r["reported_figures"]) or _km2(r["area_named"]),
            "reported_people": _people(r["reported_figures"]), "reported_wording": r["reported_figures"] or None,
            "attributed_to": r["attributed_to"], "reported_via": r["source"],
            "block_source": r["block_source"] or None,
            "possible_duplicate_of": f"gazamaps-{dup[1]}" if dup else None,
        })
    out = pd.DataFrame(rows)
    out["reported_people"] = out["reported_people"].astype("Int64")
    # the stubs do not admit missing geometries (None), which GeoSeries takes
    no_geometry = gpd.GeoSeries([None] * len(out), crs=4326)  # type: ignore[arg-type]
    return gpd.GeoDataFrame(out, geometry=no_geometry, crs=4326)
