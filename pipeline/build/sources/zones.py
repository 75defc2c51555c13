"""Declared "humanitarian zones" over time, and the December 2023 Al-Mawasi proposal.

Validity is a half-open interval: a zone is declared on day D when
``valid_from <= D < valid_to`` (``valid_to`` null = still declared).  The
TentNetFA versions hand over on the same day (one's ``end_date`` is the next
one's ``safe_date``), so on a hand-over day the new version is the declared one.

"Which zone was declared on D" (:func:`zone_on`) returns at most one zone:
among the zones valid on D, a dated declared version (kind
``humanitarian zone``) wins over a ``proposed safe area``; among several of the
same kind, the one declared latest wins, then the higher ``zone_id``.

Excluded: versions the source flags as errors (``type == "hz_error"``) and
features with no id or no dates; the build report lists them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TypedDict

import geopandas as gpd
import pandas as pd
import shapely

from pipeline.core.dates import DateParseError, parse_date
from pipeline.core.errors import InputError
from pipeline.core.layers import AREA_CRS, ZONE_KIND_DECLARED, ZONE_KIND_PROPOSED

ZONES_FILE = "zones/humanitarian-zones.tentnetfa.geojson"
MAWASI_FILE = "zones/al-mawasi-safe-area-2023-12.bothness.geojson"

# The bothness file has no properties.  It is the Al-Mawasi area that the scenario's report of
# 2 Dec 2023 says relief organisations refused; its validity is set to the scenario period
# (from the grid's publication, 1 Dec 2023, until the next dated version, 6 Dec 2023).
MAWASI_VALID = (date(2023, 12, 1), date(2023, 12, 6))


class ExcludedZone(TypedDict):
    """A feature of the TentNetFA file left out of the zones layer, and why (in the build report)."""

    feature: int
    zone_id: str | None
    reason: str


def read_tentnetfa_zones(path: str | Path, *, label: str = ZONES_FILE) -> tuple[gpd.GeoDataFrame, list[ExcludedZone]]:
    """(zones, excluded) from the TentNetFA file."""
    raw = gpd.read_file(path)
    if raw.crs is None:
        raise InputError("has no CRS", file=label)
    for col in ("hz_id", "safe_date", "end_date", "type"):
        if col not in raw.columns:
            raise InputError(f"missing property '{col}'", file=label)
    raw = raw.to_crs(4326)
    rows: list[dict[str, object]] = []
    excluded: list[ExcludedZone] = []
    for i, (_, r) in enumerate(raw.iterrows()):  # read_file gives a RangeIndex: the position is the index
        zid = r["hz_id"] if isinstance(r["hz_id"], str) and r["hz_id"].strip() else None
        if r["type"] == "hz_error":
            excluded.append({"feature": i, "zone_id": zid, "reason": "flagged as an error version by the source "
                             "(type 'hz_error')"})
            continue
        if zid is None or pd.isna(r["safe_date"]):
            excluded.append({"feature": i, "zone_id": zid, "reason": "no id or no start date"})
            continue
        try:
            start = parse_date(r["safe_date"])
            end = None if pd.isna(r["end_date"]) else parse_date(r["end_date"])
        except DateParseError as exc:
            raise InputError(f"unreadable date ({exc})", file=label, row=i) from exc
        if end is not None and end <= start:
            excluded.append({"feature": i, "zone_id": zid, "reason": f"ends ({end}) on or before it starts"})
            continue
        rows.append({"zone_id": zid, "kind": ZONE_KIND_DECLARED, "name": f"Humanitarian zone (Al-Mawasi), version {zid}",
                     "valid_from": start, "valid_to": end,
                     "source": "TentNetFA (realgoodresearch), humanitarian zone versions",
                     "geometry": shapely.make_valid(r.geometry)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326), excluded


def read_mawasi_proposal(path: str | Path, *, label: str = MAWASI_FILE) -> gpd.GeoDataFrame:
    raw = gpd.read_file(path)
    if raw.crs is None:
        raise InputError("has no CRS", file=label)
    geom = shapely.make_valid(raw.to_crs(4326).union_all())
    return gpd.GeoDataFrame([{
        "zone_id": "mawasi-2023-12", "kind": ZONE_KIND_PROPOSED,
        "name": "Al-Mawasi 'safe zone' as proposed in Nov/Dec 2023 (refused by relief organisations)",
        "valid_from": MAWASI_VALID[0], "valid_to": MAWASI_VALID[1],
        "source": "bothness/gaza-geojson (Al-Mawasi safe area 2023-12); dates: scenario report of 2 Dec 2023",
        "geometry": geom}], geometry="geometry", crs=4326)


def with_area(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = zones.copy()
    out["area_km2"] = (out.geometry.to_crs(AREA_CRS).area / 1e6).round(3)
    return out


