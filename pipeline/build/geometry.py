"""Geometry algorithms the build uses to draw regions: the Strip cut at a line, areas east of a city, the coast."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
import shapely.ops
from shapely.geometry import LineString, Point

from pipeline.core.errors import InputError
from pipeline.core.layers import AREA_CRS

COAST_BAND_M = 1000.0


def split_by_wadi(strip_geom: Any, wadi_line: LineString, north_ref: Point, *,
                  extend_m: float = 6000.0, label: str = "the Wadi Gaza line") -> tuple[Any, Any]:
    """(north, south) parts of the Strip (metric CRS) split by the Wadi Gaza line with its ends extended.

    ``north_ref`` is a point known to lie north of the wadi (Gaza City): the parts on its side of the
    line are the north.
    """
    coords = np.asarray(wadi_line.coords)

    def extend(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        d = b - a
        out: npt.NDArray[np.float64] = b + d / np.hypot(*d) * extend_m
        return out

    line = LineString(np.vstack([extend(coords[1], coords[0]), coords, extend(coords[-2], coords[-1])]))
    parts = shapely.get_parts(shapely.ops.split(strip_geom, line))
    if len(parts) < 2:
        raise InputError("the Wadi Gaza line does not split the Strip outline", file=label)
    north_side = [p for p in parts if p.intersects(north_ref) or
                  _same_side(line, p.representative_point(), north_ref)]
    south_side = [p for p in parts if not any(p.equals(q) for q in north_side)]
    return shapely.union_all(north_side), shapely.union_all(south_side)


def _same_side(line: LineString, a: Point, b: Point) -> bool:
    """True when ``a`` and ``b`` lie on the same side of ``line`` (by the nearest segment's direction)."""
    def side(p: Point) -> float:
        d = line.project(p)
        p0 = np.asarray(line.interpolate(max(d - 1.0, 0)).coords[0])
        p1 = np.asarray(line.interpolate(min(d + 1.0, line.length)).coords[0])
        v, w = p1 - p0, np.asarray(p.coords[0]) - p0
        return float(v[0] * w[1] - v[1] * w[0])
    return side(a) * side(b) > 0


def east_of_khan_younis(gov_khan_younis: Any, city_point: Point, strip_geom: Any) -> Any:
    """PS0270 on the fence side of a line through ``city_point`` parallel to the Strip's long axis."""
    rect = strip_geom.minimum_rotated_rectangle
    xy = np.asarray(rect.exterior.coords)[:4]
    edges = [xy[(i + 1) % 4] - xy[i] for i in range(4)]
    axis = max(edges, key=lambda e: float(np.hypot(*e)))
    axis = axis / np.hypot(*axis)
    c = np.asarray(city_point.coords[0])
    line = LineString([c - axis * 60000, c + axis * 60000])
    parts = shapely.get_parts(shapely.ops.split(gov_khan_younis, line))
    normal = np.array([-axis[1], axis[0]])
    # The fence lies to the east: keep the pieces whose centre lies east (positive x) of the line.
    sign = 1.0 if normal[0] > 0 else -1.0
    east = [p for p in parts if sign * float(np.dot(np.asarray(p.representative_point().coords[0]) - c, normal)) > 0]
    return shapely.union_all(east)


def coastal_strip(strip_geom: Any, perimeter_band: Any, *, band_m: float = COAST_BAND_M) -> Any:
    """Land within ``band_m`` of the sea coast (outline minus the land border)."""
    boundary = strip_geom.boundary
    land_border = boundary.intersection(perimeter_band.buffer(50))
    coast = boundary.difference(land_border.buffer(60))
    return strip_geom.intersection(coast.buffer(band_m))


def north_of_line(strip: gpd.GeoDataFrame, line: shapely.Geometry, extend_m: float = 6000.0) -> shapely.Geometry:
    """The part of the Strip north of a line (the Wadi Gaza course), in EPSG:4326.

    The line is extended straight at both ends by ``extend_m`` so it crosses the
    whole Strip, then the outline is split along it; pieces whose centroid lies
    north of the line's mid-point latitude are kept.
    """
    to_m = gpd.GeoSeries([line], crs=4326).to_crs(AREA_CRS).iloc[0]
    coords = np.asarray(shapely.get_coordinates(shapely.line_merge(to_m)))
    a0, a1, b0, b1 = coords[0], coords[1], coords[-2], coords[-1]
    start = a0 + (a0 - a1) / np.linalg.norm(a0 - a1) * extend_m
    end = b1 + (b1 - b0) / np.linalg.norm(b1 - b0) * extend_m
    cutter = shapely.LineString(np.vstack([start, coords, end]))
    outline = strip.to_crs(AREA_CRS).union_all()
    pieces = shapely.ops.split(outline, cutter).geoms
    mid_y = coords[:, 1].mean()
    north = shapely.union_all([p for p in pieces if p.centroid.y > mid_y])
    return gpd.GeoSeries([north], crs=AREA_CRS).to_crs(4326).iloc[0]
