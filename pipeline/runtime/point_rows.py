"""Imported events as a table and two coordinate arrays, given point geometry a slice at a time when stored.

A million shapely points cost about 130 MiB besides the table; an import keeps the longitude and latitude
(16 MiB) instead, and each workspace backend makes the points of 100,000 rows at a time while it writes
them (:meth:`PointRows.chunks`), so no more than one slice of points exists at once. Read back, the layer
is the GeoDataFrame it always was (the table's columns, then ``geometry``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

CHUNK = 100_000


@dataclass
class PointRows:
    """``frame``: the columns (no geometry, index 0..n-1); ``lon``/``lat``: each row's point (EPSG:4326)."""

    frame: pd.DataFrame
    lon: np.ndarray
    lat: np.ndarray
    crs: str = "EPSG:4326"

    def __post_init__(self) -> None:
        self.frame = self.frame.reset_index(drop=True)
        self.lon = np.asarray(self.lon, dtype=float)
        self.lat = np.asarray(self.lat, dtype=float)
        if not len(self.frame) == len(self.lon) == len(self.lat):
            raise ValueError("PointRows: the table and the coordinates differ in length")

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def columns(self) -> list[str]:
        return [*map(str, self.frame.columns), "geometry"]

    def bbox(self, *, digits: int | None = 6) -> list[float] | None:
        """[minx, miny, maxx, maxy] of the finite points, rounded to ``digits`` decimals (None: no point)."""
        ok = np.isfinite(self.lon) & np.isfinite(self.lat)
        if not ok.any():
            return None
        x, y = self.lon[ok], self.lat[ok]
        box = [float(v) for v in (x.min(), y.min(), x.max(), y.max())]
        return box if digits is None else [round(v, digits) for v in box]

    def chunk(self, start: int, stop: int) -> gpd.GeoDataFrame:
        """Rows ``start:stop`` as a GeoDataFrame (their points made now)."""
        part = self.frame.iloc[start:stop]
        geometry = gpd.points_from_xy(self.lon[start:stop], self.lat[start:stop], crs=self.crs)
        return gpd.GeoDataFrame(part, geometry=geometry, crs=self.crs)

    def chunks(self, size: int = CHUNK) -> Iterator[gpd.GeoDataFrame]:
        """The rows in slices of ``size`` (one empty slice when there is no row)."""
        if not len(self):
            yield self.chunk(0, 0)
            return
        for start in range(0, len(self), size):
            yield self.chunk(start, min(start + size, len(self)))

    def to_geodataframe(self) -> gpd.GeoDataFrame:
        return self.chunk(0, len(self))


@dataclass
class StagedRows(PointRows):
    """Events already COPYed into ``staging``, a table of the import's transaction (the PostGIS workspace's
    import of a file read a chunk at a time): ``rows`` of them, bounded by ``box``. ``frame``/``lon``/``lat``
    hold one stored row, for the columns' types and the layer's dataset; the points are in the table."""

    staging: str = ""
    rows: int = 0
    box: list[float] | None = field(default=None)

    def __len__(self) -> int:
        return self.rows

    def bbox(self, *, digits: int | None = 6) -> list[float] | None:
        if self.box is None:
            return None
        return list(self.box) if digits is None else [round(v, digits) for v in self.box]

    def chunk(self, start: int, stop: int) -> gpd.GeoDataFrame:
        raise TypeError("staged rows are in the database: read them from their table")
