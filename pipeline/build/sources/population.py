"""Pre-war population: the PCBS mid-2023 Strip estimate and the PCBS 2017 census localities.

Sources disagree on the pre-war population (PCBS 2017 census by locality,
PCBS mid-2023 estimate, civil-registry figures quoted in the press).  The
project ships one explicit figure: the PCBS mid-2023 estimate for the Strip,
apportioned to governorates by their shares of the 2017 census locality
populations.  The method text below is stored in the bundle and shown on the
Method page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from pipeline.core.errors import InputError

if TYPE_CHECKING:
    from pipeline.build.context import BuildContext

PCBS_STRIP_FILE = "population/pcbs-2017-strip.techforpalestine.json"
LOCALITIES_FILE = "places/communities-pcbs2017.bothness.geojson"

PREWAR_SOURCE = "PCBS mid-2023 estimate for the Gaza Strip (2,226,544), apportioned by PCBS 2017 census locality shares"
PREWAR_YEAR = 2023

# The locality file's District field -> OCHA pcode.
DISTRICT_PCODES: dict[str, str] = {"North Gaza": "PS0255", "Gaza": "PS0260", "Deir Al Balah": "PS0265",
                                   "Khan Yunis": "PS0270", "Rafah": "PS0275"}

# Known faults of the locality file (see geodata/SOURCES.md), fixed by PCODE.
LOCALITY_FIXES: dict[int, dict[str, Any]] = {
    # "Al Bayuk" carries the Arabic name of An Naser (النصر).
    753500: {"NAME_ARB": "البيوك"},
    # Arabic name cut off in the source.
    552681: {"NAME_ARB": "أم النصر (القرية البدوية)"},
}
# "As Siafa" (990020) is tagged Rafah but lies in North Gaza and has no population:
# its governorate is taken from its location like every other point, and it
# carries no population into the estimate.


def strip_total_mid2023(path: str | Path, *, label: str = PCBS_STRIP_FILE) -> tuple[int, int]:
    """(mid-2023 estimate, 2017 census total) for the Strip from the PCBS reference file."""
    try:
        data = json.loads(open(path, encoding="utf-8").read())  # noqa: SIM115
        ref = data["scaling_reference"]
        return int(ref["gaza_strip_total_2023"]), int(ref["gaza_strip_total_2017_census"])
    except (KeyError, ValueError, TypeError) as exc:
        raise InputError(f"no PCBS mid-2023 total found ({exc})", file=label,
                         field="scaling_reference.gaza_strip_total_2023") from exc


def localities_from_pcbs_points(path: str | Path, governorates: gpd.GeoDataFrame, *,
                                label: str = LOCALITIES_FILE) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The 43 PCBS 2017 localities as points with pcode by location; returns (points, fixes made)."""
    pts = gpd.read_file(path)
    if pts.crs is None:
        pts = pts.set_crs(4326)
    need = {"PCBS_NAME", "NAME_ARB", "PCODE", "pop2017", "District"}
    if need - set(pts.columns):
        raise InputError(f"missing columns {sorted(need - set(pts.columns))}", file=label)
    notes: list[str] = []
    for pcode, fix in LOCALITY_FIXES.items():
        hit = pts["PCODE"] == pcode
        for col, val in fix.items():
            if hit.any():
                notes.append(f"{pts.loc[hit, 'PCBS_NAME'].iloc[0]}: {col} {pts.loc[hit, col].iloc[0]!r} -> {val!r}")
                pts.loc[hit, col] = val
    pts["pop2017"] = pd.to_numeric(pts["pop2017"].replace("", None), errors="coerce")
    joined = gpd.sjoin(pts.to_crs(4326), governorates[["pcode", "name_en", "geometry"]], how="left",
                       predicate="within")
    for idx, district, pcode, pcbs_name, gov_name in zip(
            joined.index.tolist(), joined["District"], joined["pcode"], joined["PCBS_NAME"], joined["name_en"],
            strict=True):
        tagged = DISTRICT_PCODES.get(district)
        if pd.isna(pcode):
            raise InputError("locality point lies in no governorate", file=label, row=idx,
                             field="geometry")
        if tagged != pcode:
            notes.append(f"{pcbs_name}: tagged {district} but lies in {gov_name}; pcode from location")
    out = gpd.GeoDataFrame({
        "locality_id": joined["PCODE"].astype(int).to_numpy(),
        "name_en": joined["PCBS_NAME"].to_numpy(),
        "name_ar": joined["NAME_ARB"].replace("", None).to_numpy(),
        "pcode": joined["pcode"].to_numpy(),
        "pop2017": joined["pop2017"].to_numpy(),
    }, geometry=joined.geometry.to_numpy(), crs=4326)
    missing = out["pop2017"].isna()
    for name in out.loc[missing, "name_en"]:
        notes.append(f"{name}: no 2017 population in the source; carries none into the estimate")
    return out, notes


def prewar_by_governorate(ctx: BuildContext) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Governorate pre-war populations (pcode, pop_prewar, pop_prewar_source, pop_prewar_year)."""
    total_2023, total_2017 = strip_total_mid2023(ctx.path(PCBS_STRIP_FILE))
    pts = gpd.read_file(ctx.path(LOCALITIES_FILE))
    pts["pop2017"] = pd.to_numeric(pts["pop2017"].replace("", None), errors="coerce").fillna(0)
    by_gov = pts.groupby(pts["District"].map(DISTRICT_PCODES))["pop2017"].sum()
    shares = by_gov / by_gov.sum()
    raw = shares * total_2023
    rounded = raw.round().astype(int)
    rounded.iloc[int(raw.to_numpy().argmax())] += total_2023 - int(rounded.sum())  # keep the exact total
    frame = pd.DataFrame({"pcode": rounded.index, "pop_prewar": rounded.to_numpy()})
    frame["pop_prewar_source"] = PREWAR_SOURCE
    frame["pop_prewar_year"] = PREWAR_YEAR
    text = (f"Pre-war population by governorate: the PCBS mid-2023 estimate for the Strip ({total_2023:,}) "
            f"apportioned by each governorate's share of the PCBS 2017 census locality populations "
            f"(sum {int(by_gov.sum()):,}; census total {total_2017:,}). Other figures exist "
            "(civil registry, press figures of 2.2-2.3 million); this one is used throughout.")
    return frame, {"text": text, "inputs": [PCBS_STRIP_FILE, LOCALITIES_FILE]}
