"""Strip outline and governorates from the public boundary files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from pipeline.core.errors import InputError
from pipeline.core.layers import AREA_CRS, PCODES, area_km2

if TYPE_CHECKING:
    pass

STRIP_FILE = "boundaries/gaza-strip.bothness.geojson"
GOVERNORATES_FILE = "boundaries/governorates-ar.geojson"

# Arabic names as written in the source -> OCHA pcode, English and Arabic display names.
GOVERNORATE_NAMES: dict[str, tuple[str, str, str]] = {
    "شمال غزة": ("PS0255", "North Gaza", "شمال غزة"),
    "غزة": ("PS0260", "Gaza", "غزة"),
    "دير البلح": ("PS0265", "Deir al-Balah", "دير البلح"),
    "خان يونس": ("PS0270", "Khan Younis", "خان يونس"),
    "رفح": ("PS0275", "Rafah", "رفح"),
}


def _read(path: str | Path, label: str) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InputError(f"cannot be read as a vector file ({exc})", file=label) from exc
    if gdf.crs is None:
        raise InputError("has no CRS", file=label, fix="declare EPSG:4326 in the file")
    return gdf


def strip_from_outline(path: str | Path, *, label: str = STRIP_FILE) -> gpd.GeoDataFrame:
    """The Strip outline as one valid polygon in EPSG:4326."""
    gdf = _read(path, label).to_crs(4326)
    geom = shapely.make_valid(gdf.union_all())
    strip = gpd.GeoDataFrame({"name": ["Gaza Strip"]}, geometry=[geom], crs=4326)
    strip["area_km2"] = area_km2(strip).round(3)
    return strip


def governorates_from_arabic_polygons(
    path: str | Path, strip: gpd.GeoDataFrame, *, label: str = GOVERNORATES_FILE, simplify_m: float = 10.0
) -> gpd.GeoDataFrame:
    """Five governorates keyed by pcode, clipped to the Strip, simplified by ``simplify_m`` metres.

    Overlaps between neighbours (none in the shipped file) are removed by
    giving the shared area to the governorate listed first.
    """
    gdf = _read(path, label)
    if "Name" not in gdf.columns:
        raise InputError("has no 'Name' column with the Arabic governorate name", file=label)
    rows = []
    for idx, name in enumerate(gdf["Name"]):  # read_file gives a RangeIndex: the position is the index
        key = str(name).strip()
        if key not in GOVERNORATE_NAMES:
            raise InputError(f"unknown governorate name {key!r}", file=label, row=idx, field="Name",
                             fix=f"expected one of {sorted(GOVERNORATE_NAMES)}")
        pcode, en, ar = GOVERNORATE_NAMES[key]
        rows.append({"pcode": pcode, "name_en": en, "name_ar": ar})
    out = gpd.GeoDataFrame(rows, geometry=gdf.geometry.values, crs=gdf.crs).to_crs(AREA_CRS)
    if out["pcode"].duplicated().any() or set(out["pcode"]) != set(PCODES):
        raise InputError(f"expected the five governorates once each, found {sorted(out['pcode'])}", file=label)
    outline = strip.to_crs(AREA_CRS).union_all()
    geoms = []
    taken: BaseGeometry = shapely.Polygon()
    for geom in out.geometry.sort_index():
        g = shapely.make_valid(geom).intersection(outline).difference(taken)
        g = g.simplify(simplify_m, preserve_topology=True)
        g = shapely.make_valid(g)
        g = shapely.union_all([p for p in shapely.get_parts(g) if p.geom_type == "Polygon"])
        taken = taken.union(g)
        geoms.append(g)
    out = out.set_geometry(geoms).to_crs(4326).sort_values("pcode").reset_index(drop=True)
    out["area_km2"] = area_km2(out).round(3)
    return out


