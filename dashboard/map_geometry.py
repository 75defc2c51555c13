"""Display geometry: polygons simplified in metres, coordinates rounded, frames as GeoJSON.

For drawing only: the bundle's full geometry is the one every figure is measured on. No streamlit import.
"""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.core.layers import AREA_CRS, STORAGE_CRS


def round_coords(geoms: Any, decimals: int = 5) -> np.ndarray:
    return shapely.transform(np.asarray(geoms), lambda c: np.round(c, decimals))


def simplify_for_display(gdf: gpd.GeoDataFrame, tolerance_m: float = 15.0, *, coverage: bool = True,
                         decimals: int = 5) -> gpd.GeoDataFrame:
    """Display copy: simplified in metres (shared edges kept for a coverage), rounded to ``decimals``.

    Never use the result for areas: the bundle's geometry is the one measured.
    """
    if gdf is None or gdf.empty:
        return gdf
    out = gdf.copy()
    polys = out.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    if polys.any() and tolerance_m > 0:
        metric = out.loc[polys].geometry.to_crs(AREA_CRS)
        values = metric.values
        simplified = None
        if coverage and hasattr(shapely, "coverage_simplify"):
            try:
                simplified = shapely.coverage_simplify(np.asarray(values), tolerance_m)
            except Exception:  # not a valid coverage (overlaps): fall back to per-polygon
                simplified = None
        if simplified is None:
            simplified = shapely.simplify(np.asarray(values), tolerance_m, preserve_topology=True)
        back = gpd.GeoSeries(simplified, index=metric.index, crs=AREA_CRS).to_crs(STORAGE_CRS)
        out.loc[polys, "geometry"] = back
    out["geometry"] = round_coords(out.geometry.values, decimals)
    out = out[~out.geometry.is_empty & out.geometry.notna()]
    return out.set_crs(STORAGE_CRS, allow_override=True)


def to_geojson(gdf: gpd.GeoDataFrame | None, columns: list[str]) -> dict[str, Any]:
    """FeatureCollection with only ``columns`` as properties (JSON-safe values)."""
    if gdf is None or gdf.empty:
        return {"type": "FeatureCollection", "features": []}
    cols = [c for c in columns if c in gdf.columns]
    frame = gdf[cols + ["geometry"]].copy()
    for c in cols:
        if pd.api.types.is_datetime64_any_dtype(frame[c]):
            frame[c] = frame[c].dt.strftime("%Y-%m-%d")
    out: dict[str, Any] = json.loads(frame.to_json(drop_id=True, na="null"))
    return out
