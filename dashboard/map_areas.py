"""Where an aggregated imported layer draws each area: one point per block and per governorate.

An imported event layer drawn as counts puts one circle per block (per governorate for events in no block)
at the area's representative point. The areas never change while the bundle stays, so their points are
computed once per layer object (the bundle's layers are kept for the process) instead of merging and
measuring the polygons again on every date. No streamlit import.
"""

from __future__ import annotations

import threading
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

_CACHE_SIZE = 4
_points: dict[tuple[int, str], tuple[Any, pd.DataFrame]] = {}  # (id(layer), key column) -> (layer, points)
_lock = threading.Lock()


def area_points(layer: gpd.GeoDataFrame, key: str, decimals: int = 5) -> pd.DataFrame:
    """``layer``'s representative points, rounded to ``decimals``, as ``x``/``y`` indexed by ``key`` (the first
    feature of a key; features with no geometry or a missing key are left out). Kept per layer object."""
    cache_key = (id(layer), key)
    with _lock:
        hit = _points.get(cache_key)
        if hit is not None and hit[0] is layer:
            return hit[1]
    geoms = np.asarray(layer.geometry.values)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & layer[key].notna().to_numpy()
    sub = layer.loc[keep, [key]].copy()
    xy = np.round(shapely.get_coordinates(shapely.point_on_surface(geoms[keep])), decimals)
    sub["x"], sub["y"] = xy[:, 0], xy[:, 1]
    if key == "block_id":
        sub[key] = sub[key].astype("int64")
    else:
        sub[key] = sub[key].astype(str)
    out = sub.drop_duplicates(key).set_index(key)[["x", "y"]]
    with _lock:
        _points[cache_key] = (layer, out)
        while len(_points) > _CACHE_SIZE:
            _points.pop(next(iter(_points)))
    return out
