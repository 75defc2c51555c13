"""Strike and incident points: Insecurity Insight (HDX, CC BY) and the Jabalia attack points (Forensic Architecture).

One schema (``EVENT_COLUMNS``).  Filtering and joins:

* Insecurity Insight files cover the world: rows whose country is written ``OPT``
  (the source's spelling) and whose ``Admin 1`` names Gaza, or whose point lies in
  the Strip, are candidates; West Bank rows are counted and left out.
* A candidate whose point lies outside the Strip outline (buffered by the
  ``strip_tolerance_m`` setting, for coastline differences) is reported per dataset
  and not kept.
* ``fatalities`` is the number of deaths the dataset records for its own category
  (aid workers, health workers, educators and students, camp residents and
  service providers); null where the dataset records none (food security, Jabalia).
* Joined to the block that contains the point (``block_id``, null in the gaps of the
  grid) and to the governorate (``pcode``, nearest governorate within the tolerance).
* Text (``location``, ``notes``) is stored as plain data, whitespace-normalised; it is
  never HTML and must be escaped where shown.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.core.dates import parse_date_column
from pipeline.core.errors import InputError
from pipeline.core.layers import AREA_CRS

II_DIR = "events/insecurity-insight/"
II_JSON = {
    "aidWorkerKIKA.json": ("insecurity-insight-aid-workers", "attack on aid workers",
                           ["Aid Workers Killed"], "Location of Incident"),
    "education.json": ("insecurity-insight-education", "attack on education",
                       ["Educators Killed", "Students Killed"], "Location of event"),
    "foodSecurity.json": ("insecurity-insight-food-security", "incident affecting food security", [],
                          "Location of Incident"),
    "protection.json": ("insecurity-insight-protection", "protection incident",
                        ["Camp Resident Killed", "Service Provider Killed"], "Camp Name"),
}
II_XLSX = {
    "2016-2023-attacks-on-health-care-incident-data.xlsx": ("insecurity-insight-health-care", "attack on health care",
                                                            ["Health Workers Killed"], "Location "),
    "2020-2024-food-security-incident-data-backfill.xlsx": ("insecurity-insight-food-security",
                                                            "incident affecting food security", [],
                                                            "Location of Incident"),
}
JABALIA_FILE = "events/forensic-architecture-jabalia-oct2023.tsv"
II_SOURCE = "Insecurity Insight (via HDX), CC BY 4.0"
II_URL = "https://data.humdata.org/organization/insecurity-insight"
FA_SOURCE = "Forensic Architecture (via mushon/nibal)"
FA_URL = "https://forensic-architecture.org"

EVENT_COLUMNS = ["event_id", "date", "kind", "fatalities", "location", "pcode", "block_id", "dataset", "source",
                 "source_url", "geo_precision", "notes"]


def clean_text(v: object) -> str | None:
    """Whitespace-normalised plain text, or None."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    s = " ".join(str(v).split())
    return s or None


def _num(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    if not cols or not all(c in frame.columns for c in cols):
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    vals = [pd.to_numeric(frame[c], errors="coerce") for c in cols]
    total = vals[0].fillna(0)
    for v in vals[1:]:
        total = total + v.fillna(0)
    known = pd.concat(vals, axis=1).notna().any(axis=1)
    return total.where(known).round().astype("Int64")


def normalise_insecurity_insight(frame: pd.DataFrame, *, dataset: str, kind: str, killed: list[str],
                                 location_col: str, label: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows of one Insecurity Insight table (any country) -> candidate Gaza events + counts.

    ``frame`` has the source's column names (the HXL row already removed).
    """
    need = ["Date", "Country", "Latitude", "Longitude"]
    miss = [c for c in need if c not in frame.columns]
    if miss:
        raise InputError(f"missing column(s) {miss}", file=label)
    country = frame["Country"].astype(str).str.strip()
    admin1 = frame.get("Admin 1", pd.Series("", index=frame.index)).astype(str)
    opt = country.eq("OPT")
    gaza_named = admin1.str.contains("gaza", case=False)
    dates, problems, _ = parse_date_column(frame["Date"])
    lat = pd.to_numeric(frame["Latitude"], errors="coerce")
    lon = pd.to_numeric(frame["Longitude"], errors="coerce")
    id_col = next((c for c in ("SiND Event ID", "SiND ID") if c in frame.columns), None)
    ids = frame[id_col].astype(str).str.replace(r"\.0$", "", regex=True) if id_col else pd.Series(
        [str(i) for i in frame.index], index=frame.index)
    out = pd.DataFrame({
        "event_id": dataset + "-" + ids,
        "date": dates.dt.date,
        "kind": kind,
        "fatalities": _num(frame, killed),
        "location": frame[location_col].map(clean_text) if location_col in frame.columns else None,
        "dataset": dataset, "source": II_SOURCE, "source_url": II_URL,
        "geo_precision": frame.get("Geo Precision", pd.Series(None, index=frame.index)).map(clean_text),
        "notes": frame.get("Event Description", pd.Series(None, index=frame.index)).map(clean_text),
        "lat": lat, "lon": lon, "_opt": opt, "_gaza_named": gaza_named,
    })
    counts = {"rows": int(len(frame)), "opt_rows": int(opt.sum()),
              "opt_not_gaza_admin1": int((opt & ~gaza_named).sum()),
              "unreadable_dates": int(sum(1 for p in problems if opt.iloc[p.row]))}
    return out[opt.to_numpy()].copy(), counts


def read_insecurity_insight_json(path: str | Path, *, dataset: str, kind: str, killed: list[str],
                                 location_col: str, label: str) -> tuple[pd.DataFrame, dict[str, int]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot be read as JSON ({exc})", file=label) from exc
    return normalise_insecurity_insight(pd.DataFrame(data), dataset=dataset, kind=kind, killed=killed,
                                        location_col=location_col, label=label)


def read_insecurity_insight_xlsx(path: str | Path, *, dataset: str, kind: str, killed: list[str],
                                 location_col: str, label: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """First sheet; a second row of HXL tags (``#date``, ``#country +name`` ...) is detected and dropped."""
    frame = pd.read_excel(path, sheet_name=0, dtype=object, engine="openpyxl")
    if len(frame) and frame.iloc[0].astype(str).str.startswith("#").sum() >= 3:
        frame = frame.iloc[1:].reset_index(drop=True)
    return normalise_insecurity_insight(frame, dataset=dataset, kind=kind, killed=killed,
                                        location_col=location_col, label=label)


def read_jabalia(path: str | Path, *, label: str = JABALIA_FILE) -> tuple[pd.DataFrame, dict[str, int]]:
    """Forensic Architecture's Jabalia attack points (tab separated: lat lon date type area source)."""
    frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    need = ["lat", "lon", "date", "type"]
    miss = [c for c in need if c not in frame.columns]
    if miss:
        raise InputError(f"missing column(s) {miss}", file=label)
    dates, problems, _ = parse_date_column(frame["date"])
    out = pd.DataFrame({
        "event_id": [f"fa-jabalia-{i + 1:03d}" for i in range(len(frame))],
        "date": dates.dt.date, "kind": frame["type"].map(clean_text), "fatalities": pd.Series(pd.NA, dtype="Int64",
                                                                                          index=frame.index),
        "location": frame.get("area", pd.Series(None, index=frame.index)).map(clean_text),
        "dataset": "forensic-architecture-jabalia", "source": FA_SOURCE, "source_url": FA_URL,
        "geo_precision": "point as published", "notes": None,
        "lat": pd.to_numeric(frame["lat"], errors="coerce"), "lon": pd.to_numeric(frame["lon"], errors="coerce"),
        "_opt": True, "_gaza_named": True,
    })
    return out, {"rows": int(len(frame)), "unreadable_dates": len(problems)}


def place_events(cands: pd.DataFrame, strip: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame,
                 governorates: gpd.GeoDataFrame, tolerance_m: float) -> tuple[gpd.GeoDataFrame, dict[str, dict[str, int]]]:
    """Keep candidates inside the Strip; join block and governorate; return (events, report per dataset).

    A row counts as outside when its point lies more than ``tolerance_m`` past the
    outline; rows without coordinates (the source "censors" some) or without a
    readable date are counted apart.  West Bank rows (country OPT,
    ``Admin 1`` not naming Gaza, point outside the Strip) are counted separately.
    """
    c = cands.reset_index(drop=True)
    has_xy = c["lat"].notna() & c["lon"].notna()
    pts = gpd.GeoDataFrame(c, geometry=gpd.points_from_xy(c["lon"].fillna(0), c["lat"].fillna(0)), crs=4326)
    zone = strip.to_crs(AREA_CRS).buffer(tolerance_m).union_all()
    inside = pts.to_crs(AREA_CRS).within(zone) & has_xy
    has_date = c["date"].notna()
    report: dict[str, dict[str, int]] = {}
    for ds, g in c.groupby("dataset"):
        m = (c["dataset"] == ds)
        wb = m & ~inside & ~c["_gaza_named"]  # includes rows with no coordinates
        report[str(ds)] = {"kept": int((m & inside & has_date).sum()),
                      "outside_strip": int((m & has_xy & ~inside & c["_gaza_named"]).sum()),
                      "no_coordinates": int((m & ~has_xy & c["_gaza_named"]).sum()),
                      "west_bank_or_elsewhere_not_gaza": int(wb.sum()),
                      "no_date": int((m & inside & ~has_date).sum())}
    keep = pts[(inside & has_date).to_numpy()].copy()
    # one row per event id (the food-security JSON and its xlsx backfill overlap)
    keep = keep.sort_values(["event_id", "date"]).drop_duplicates("event_id", keep="first")
    b = blocks[["block_id", "geometry"]].to_crs(AREA_CRS)
    k = keep.to_crs(AREA_CRS)
    hit = gpd.sjoin(k[["geometry"]], b, how="left", predicate="within")
    hit = hit[~hit.index.duplicated(keep="first")]
    keep["block_id"] = hit["block_id"].reindex(keep.index).astype("Int64")
    gov = governorates[["pcode", "geometry"]].to_crs(AREA_CRS)
    near = gpd.sjoin_nearest(k[["geometry"]], gov, how="left", max_distance=tolerance_m)
    near = near[~near.index.duplicated(keep="first")]
    keep["pcode"] = near["pcode"].reindex(keep.index)
    keep = keep[EVENT_COLUMNS + ["geometry"]].sort_values(["date", "event_id"]).reset_index(drop=True)
    return gpd.GeoDataFrame(keep, geometry="geometry", crs=4326), report
