"""Read and write ``geodata/bundle``: one (Geo)Parquet file per layer plus ``manifest.json``.

Writes are atomic: the new bundle is written to a temporary folder beside the
target, then swapped in by rename, so a failed build leaves the last good
bundle untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from . import settings
from .errors import BundleError

MANIFEST = "manifest.json"


def bundle_dir(path: str | Path | None = None) -> Path:
    return Path(path) if path is not None else Path(settings.get("bundle_dir"))  # type: ignore[arg-type]


def sha256_file(path: str | Path) -> str:
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


def write_layer(frame: pd.DataFrame, path: Path) -> None:
    """Write one layer deterministically (same input -> same bytes)."""
    frame = frame.reset_index(drop=True)
    if isinstance(frame, gpd.GeoDataFrame):
        frame.to_parquet(path, index=False, compression="zstd", write_covering_bbox=False)
        _canonical_crs_metadata(path)
    else:
        frame.to_parquet(path, index=False, compression="zstd")


def write_bundle(
    layers: dict[str, pd.DataFrame],
    *,
    out_dir: str | Path | None = None,
    layer_meta: dict[str, dict[str, Any]] | None = None,
    sources: list[dict[str, Any]] | None = None,
    report: dict[str, Any] | None = None,
) -> Path:
    """Write all layers and the manifest to ``out_dir`` atomically; return the folder."""
    target = bundle_dir(out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".bundle-tmp-", dir=target.parent))
    try:
        manifest_layers: dict[str, Any] = {}
        for name in sorted(layers):
            frame = layers[name]
            fname = f"{name}.parquet"
            write_layer(frame, tmp / fname)
            meta = dict((layer_meta or {}).get(name, {}))
            manifest_layers[name] = {
                "file": fname,
                "rows": int(len(frame)),
                "crs": frame.crs.to_string() if isinstance(frame, gpd.GeoDataFrame) and frame.crs else None,
                "bbox": bbox_of(frame),
                "columns": [c for c in frame.columns if c != "geometry"],
                "sha256": sha256_file(tmp / fname),
                **meta,
            }
        manifest = {
            "built_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "layers": manifest_layers,
            "sources": sources or [],
            "report": report or {},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n",
                                    encoding="utf-8")
        old = None
        if target.exists():
            old = target.with_name(f".bundle-old-{os.getpid()}")
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    load_manifest.cache_clear()
    _read_layer.cache_clear()
    return target


_CANONICAL_CRS = Path(__file__).with_name("epsg4326.projjson.json")


def _canonical_crs_metadata(path: Path) -> None:
    """Rewrite the GeoParquet CRS of EPSG:4326 layers as one fixed PROJJSON document.

    PROJ can serialise the same EPSG:4326 in two ways (with a datum or a datum ensemble), depending
    on state earlier in the process; a fixed document keeps the layer's bytes reproducible.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

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


@lru_cache(maxsize=8)
def _load_manifest(path: str) -> dict[str, Any]:
    p = Path(path) / MANIFEST
    if not p.exists():
        raise BundleError(f"no bundle at {p.parent}: run `python -m pipeline build`")
    return json.loads(p.read_text(encoding="utf-8"))


def load_manifest(path: str | Path | None = None) -> dict[str, Any]:
    """The bundle's manifest (cached; copy before changing it)."""
    return _load_manifest(str(bundle_dir(path)))


load_manifest.cache_clear = _load_manifest.cache_clear  # type: ignore[attr-defined]


@lru_cache(maxsize=64)
def _read_layer(path: str, name: str) -> pd.DataFrame:
    manifest = _load_manifest(path)
    if name not in manifest["layers"]:
        raise BundleError(f"the bundle has no layer '{name}' (layers: {sorted(manifest['layers'])})")
    f = Path(path) / manifest["layers"][name]["file"]
    if manifest["layers"][name].get("crs"):
        return gpd.read_parquet(f)
    return pd.read_parquet(f)


_READ_LOCKS: dict[str, threading.Lock] = {}
_READ_LOCKS_GUARD = threading.Lock()


def load_layer(name: str, path: str | Path | None = None) -> pd.DataFrame:
    """Return a copy of layer ``name`` from the bundle (GeoDataFrame for spatial layers).

    Thread-safe: concurrent first reads of the same layer read the file once.
    """
    key = str(bundle_dir(path))
    with _READ_LOCKS_GUARD:
        lock = _READ_LOCKS.setdefault(f"{key}:{name}", threading.Lock())
    with lock:
        return _read_layer(key, name).copy()


def layer_names(path: str | Path | None = None) -> list[str]:
    return sorted(load_manifest(path)["layers"])


def summary(path: str | Path | None = None) -> dict[str, Any]:
    """The stable JSON shape printed by ``python -m pipeline summary``.

    ``{"layers": {name: {"rows", "crs", "bbox", ...}}, "sources": [...], "workspace": {name: {..., "workspace": true}}}``
    """
    manifest = load_manifest(path)
    layers = {
        name: {"rows": meta["rows"], "crs": meta["crs"], "bbox": meta["bbox"],
               **{k: meta[k] for k in ("description", "origin") if k in meta}}
        for name, meta in manifest["layers"].items()
    }
    from . import workspace

    return {"built_at": manifest.get("built_at"), "layers": layers, "sources": manifest["sources"],
            "workspace": workspace.summary()["layers"]}
