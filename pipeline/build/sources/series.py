"""Time series in one long table: date, metric, value, unit, pcode, source, filled (+ method, flag).

* Casualties (Tech for Palestine, from the Gaza Ministry of Health and the Government
  Media Office): ``killed``, ``injured`` (per report date) and ``killed_cum``,
  ``injured_cum``.  Where the reported field is missing the ``ext_*`` (gap-filled)
  value is used and ``filled`` is True.
* Aid trucks: daily 2023-24 (``aid_trucks_daily``, ``food_trucks_daily``; dates such as
  "07 October 2023" read with :mod:`pipeline.dates`) and monthly COGAT
  (``aid_trucks_monthly``, dated the first of the month).
* Population by governorate (edarin, advertising-audience estimates, adults 18+:
  ``population_adults_est``); a row whose audience count is the API's floor (500) is
  flagged ``at most``: the true figure is at most the value.
* UNRWA IDP counts (``idps``; ``idps_shelters`` for people in UNRWA shelters).

Unreadable dates are reported (``problems``), never guessed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pipeline.core.dates import DateProblem, parse_date_column
from pipeline.core.errors import InputError
from pipeline.core.layers import PCODES

CASUALTIES_FILE = "timeseries/casualties_daily.json"
TRUCKS_DAILY_FILE = "timeseries/food-trucks-daily-2023.csv"
TRUCKS_MONTHLY_FILE = "timeseries/aid-trucks-monthly-cogat.json"
POPULATION_FILE = "population/population-by-governorate-daily.edarin.csv"
IDP_FILE = "population/unrwa-idp-counts.edarin.csv"

AUDIENCE_FLOOR = 500
POP_METHOD = ("Advertising-audience estimate (edarin/Gaza_displacement_analytics): Meta monthly active users aged "
              "18+ per governorate scaled to population; adults only. Where the audience count is the platform's "
              "floor (500) the figure is an upper bound ('at most').")
SERIES_COLUMNS = ["date", "metric", "value", "unit", "pcode", "source", "filled", "method", "flag"]


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=SERIES_COLUMNS)
    df["filled"] = df["filled"].astype(bool)
    return df


def read_casualties(path: str | Path, *, label: str = CASUALTIES_FILE) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot be read as JSON ({exc})", file=label) from exc
    raw = pd.DataFrame(data)
    dates, problems, _ = parse_date_column(raw["report_date"])
    src = "Tech for Palestine daily casualties (Gaza Ministry of Health / Government Media Office)"
    rows: list[dict[str, object]] = []
    for i, (_, rec) in enumerate(raw.iterrows()):  # a RangeIndex: position = label
        if pd.isna(dates.iloc[i]):
            continue
        d = dates.iloc[i].date()
        origin = rec.get("report_source")
        for metric, unit in (("killed", "people"), ("injured", "people"),
                             ("killed_cum", "people"), ("injured_cum", "people")):
            val = rec.get(metric)
            filled = val is None or pd.isna(val) or origin == "missing"
            if val is None or pd.isna(val):
                val = rec.get(f"ext_{metric}")
            if val is None or pd.isna(val):
                continue
            rows.append({"date": d, "metric": metric, "value": float(val), "unit": unit, "pcode": None,
                         "source": src, "filled": bool(filled),
                         "method": "reported" if not filled else "gap filled by the source (ext_* field)",
                         "flag": None})
    return _frame(rows), [p.__dict__ | {"file": label} for p in problems]


def read_trucks_daily(path: str | Path, *, label: str = TRUCKS_DAILY_FILE) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in ("date", "total_truck"):
        if col not in raw.columns:
            raise InputError(f"missing column '{col}'", file=label)
    dates, problems, _ = parse_date_column(raw["date"])
    src = "gaza_projections daily aid trucks (Gaza-projections/gaza_projections)"
    rows: list[dict[str, object]] = []
    for i, (_, rec) in enumerate(raw.iterrows()):  # a RangeIndex: position = label
        if pd.isna(dates.iloc[i]):
            continue
        for metric, col in (("aid_trucks_daily", "total_truck"), ("food_trucks_daily", "food_truck")):
            cell = rec.get(col)  # None when the optional food_truck column is absent
            v = None if cell is None else pd.to_numeric(cell, errors="coerce")
            if pd.isna(v):
                problems.append(DateProblem(i, str(rec.get(col)), f"{col} is not a number"))
                continue
            rows.append({"date": dates.iloc[i].date(), "metric": metric, "value": float(v), "unit": "trucks per day",
                         "pcode": None, "source": src, "filled": False,
                         "method": "as published" if metric == "aid_trucks_daily" else
                         "as published (food trucks estimated by the source, fractional)", "flag": None})
    return _frame(rows), [p.__dict__ | {"file": label} for p in problems]


def read_trucks_monthly(path: str | Path, *, label: str = TRUCKS_MONTHLY_FILE) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot be read as JSON ({exc})", file=label) from exc
    totals = pd.DataFrame(data.get("totals", []))
    if totals.empty or "key" not in totals or "trucks" not in totals:
        raise InputError("no 'totals' with 'key' and 'trucks'", file=label)
    dates, problems, _ = parse_date_column(totals["key"] + "-01")
    src = f"{data.get('source', 'COGAT')} (via leemordechai/Gaza-starvation-scrollytelling)"
    rows: list[dict[str, object]] = [{"date": dates.iloc[i].date(), "metric": "aid_trucks_monthly", "value": float(r["trucks"]),
             "unit": "trucks per month", "pcode": None, "source": src, "filled": False,
             "method": "monthly total as published by COGAT; dated the first day of the month", "flag": None}
            for i, (_, r) in enumerate(totals.iterrows()) if not pd.isna(dates.iloc[i])]
    return _frame(rows), [p.__dict__ | {"file": label} for p in problems]


def read_population(path: str | Path, *, label: str = POPULATION_FILE) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    raw = pd.read_csv(path, dtype={"ADM2_PCODE": str})
    for col in ("ADM2_PCODE", "collection_date", "agesex", "mau_lower", "pop_mau_lower"):
        if col not in raw.columns:
            raise InputError(f"missing column '{col}'", file=label)
    t = raw[raw["agesex"] == "T_18Plus"].reset_index(drop=True)
    bad = sorted(set(t["ADM2_PCODE"]) - set(PCODES))
    if bad:
        raise InputError(f"unknown pcode(s) {bad}", file=label, field="ADM2_PCODE")
    dates, problems, _ = parse_date_column(t["collection_date"])
    src = "edarin/Gaza_displacement_analytics (advertising-audience estimates)"
    rows: list[dict[str, object]] = []
    for i, (_, r) in enumerate(t.iterrows()):  # a RangeIndex: position = label
        if pd.isna(dates.iloc[i]):
            continue
        floor = int(r["mau_lower"]) <= AUDIENCE_FLOOR
        rows.append({"date": dates.iloc[i].date(), "metric": "population_adults_est", "value": float(r["pop_mau_lower"]),
                     "unit": "adults (18+)", "pcode": r["ADM2_PCODE"], "source": src, "filled": False,
                     "method": POP_METHOD, "flag": "at most (audience floor)" if floor else None})
    return _frame(rows), [p.__dict__ | {"file": label} for p in problems]


def read_idps(path: str | Path, *, label: str = IDP_FILE) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in ("collection_date", "displacement", "shelter"):
        if col not in raw.columns:
            raise InputError(f"missing column '{col}'", file=label)
    dates, problems, _ = parse_date_column(raw["collection_date"])
    rows: list[dict[str, object]] = []
    for i, (_, r) in enumerate(raw.iterrows()):  # a RangeIndex: position = label
        if pd.isna(dates.iloc[i]):
            continue
        v = pd.to_numeric(r["displacement"], errors="coerce")
        if pd.isna(v):
            continue
        shelters = "shelter" in r["shelter"].lower()
        rows.append({"date": dates.iloc[i].date(), "metric": "idps_shelters" if shelters else "idps",
                     "value": float(v), "unit": "people", "pcode": None,
                     "source": f"UNRWA ({r['shelter'].strip()}), via edarin/Gaza_displacement_analytics",
                     "filled": False, "method": r["shelter"].strip(), "flag": None})
    return _frame(rows), [p.__dict__ | {"file": label} for p in problems]


def combine(parts: list[pd.DataFrame]) -> pd.DataFrame:
    df = pd.concat(parts, ignore_index=True)
    df = df.sort_values(["metric", "pcode", "date", "source"], na_position="first").reset_index(drop=True)
    dup = df.duplicated(["metric", "pcode", "date", "source"], keep=False)
    if dup.any():
        df = df.drop_duplicates(["metric", "pcode", "date", "source"], keep="last").reset_index(drop=True)
    return df
