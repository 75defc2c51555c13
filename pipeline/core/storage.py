"""Storage helpers shared by the build and the workspace: hashing, bounding boxes, atomic writes, layer bytes.

Every layer is written in EPSG:4326 with coordinates snapped to a fixed precision and one canonical
PROJJSON for its CRS, so the same input gives the same bytes (the build's reproducibility rests on it).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

_CANONICAL_CRS = Path(__file__).with_name("epsg4326.projjson.json")


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def bbox_of(frame: pd.DataFrame) -> list[float] | None:
    """[minx, miny, maxx, maxy] rounded to 1e-6 degrees, or None for a table or a layer with no geometry."""
    if isinstance(frame, gpd.GeoDataFrame) and len(frame) and not frame.geometry.is_empty.all():
        return [round(float(v), 6) for v in frame.total_bounds]
    return None


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``target``, fsync it, then swap it in with ``os.replace``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def to_storage(gdf: gpd.GeoDataFrame, precision: float = 1e-7) -> gpd.GeoDataFrame:
    """EPSG:4326 with coordinates snapped to ``precision`` degrees (stable bytes, valid geometry)."""
    out = gdf.to_crs(4326) if gdf.crs is not None and gdf.crs.to_epsg() != 4326 else gdf.copy()
    if out.crs is None:
        out = out.set_crs(4326)
    geoms = shapely.set_precision(shapely.make_valid(np.asarray(out.geometry.values)), precision)
    geoms = shapely.make_valid(geoms)
    return out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=4326))


def write_layer(frame: pd.DataFrame, path: Path) -> None:
    """Write one layer as (Geo)Parquet deterministically (same input -> same bytes)."""
    frame = frame.reset_index(drop=True)
    if isinstance(frame, gpd.GeoDataFrame):
        frame.to_parquet(path, index=False, compression="zstd", write_covering_bbox=False)
        _canonical_crs_metadata(path)
    else:
        frame.to_parquet(path, index=False, compression="zstd")


def _canonical_crs_metadata(path: Path) -> None:
    """Rewrite the GeoParquet CRS of EPSG:4326 layers as one fixed PROJJSON document.

    PROJ can serialise the same EPSG:4326 in two ways (with a datum or a datum ensemble), depending
    on state earlier in the process; a fixed document keeps the layer's bytes reproducible.
    """
    table = pq.read_table(path)
    meta = dict(table.schema.metadata or {})
    geo = json.loads(meta[b"geo"])
    canonical = json.loads(_CANONICAL_CRS.read_text(encoding="utf-8"))
    for col in geo["columns"].values():
        crs = col.get("crs")
        if isinstance(crs, dict) and crs.get("id", {}).get("code") == 4326:
            col["crs"] = canonical
    meta[b"geo"] = json.dumps(geo).encode()
    fields = []
    for f in table.schema:
        fmeta = dict(f.metadata or {})
        if f.name in geo["columns"] and b"ARROW:extension:metadata" in fmeta and \
                geo["columns"][f.name].get("crs") == canonical:
            fmeta[b"ARROW:extension:metadata"] = json.dumps({"crs": canonical}).encode()
        fields.append(f.with_metadata(fmeta) if fmeta else f)
    table = table.cast(pa.schema(fields, metadata=meta))
    pq.write_table(table, path, compression="zstd")
