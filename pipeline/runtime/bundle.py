"""Read ``geodata/bundle`` (written by ``python -m pipeline build``): the manifest and one layer at a time.

Reads are cached per manifest file (its path, size and modification time), so a rebuilt bundle is
read afresh without anyone clearing a cache. A missing or damaged file raises :class:`BundleError`
naming the file and how to rebuild it, never a pyarrow traceback.
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from pipeline.core import settings
from pipeline.core.errors import BundleError
from pipeline.core.storage import sha256_file
from pipeline.runtime import workspace

MANIFEST = "manifest.json"
LAYER_KEYS = ("file", "rows", "crs", "bbox", "sha256")
REBUILD = "rebuild it with `python -m pipeline build` (or check it with `python -m pipeline check`)"


def bundle_dir(path: str | Path | None = None) -> Path:
    return Path(path) if path is not None else settings.get(settings.BUNDLE_DIR)


def _stamp(folder: Path) -> tuple[str, int, int]:
    p = folder / MANIFEST
    try:
        st = p.stat()
    except FileNotFoundError:
        raise BundleError(f"no bundle at {folder}: the file {p} is missing; {REBUILD}") from None
    return str(folder), st.st_size, st.st_mtime_ns


@lru_cache(maxsize=8)
def _load_manifest(stamp: tuple[str, int, int]) -> dict[str, Any]:
    p = Path(stamp[0]) / MANIFEST
    try:
        manifest = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"the bundle's manifest {p} cannot be read ({exc}); {REBUILD}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("layers"), dict):
        raise BundleError(f"the bundle's manifest {p} has no 'layers' table; {REBUILD}")
    for name, meta in manifest["layers"].items():
        missing = [k for k in LAYER_KEYS if not isinstance(meta, dict) or k not in meta]
        if missing:
            raise BundleError(f"the bundle's manifest {p} lacks {', '.join(missing)} for layer '{name}'; {REBUILD}")
    return manifest


def load_manifest(path: str | Path | None = None) -> dict[str, Any]:
    """The bundle's manifest (cached; copy before changing it)."""
    return _load_manifest(_stamp(bundle_dir(path)))


@lru_cache(maxsize=64)
def _read_layer(stamp: tuple[str, int, int], name: str) -> pd.DataFrame:
    manifest = _load_manifest(stamp)
    if name not in manifest["layers"]:
        raise BundleError(f"the bundle has no layer '{name}' (layers: {sorted(manifest['layers'])}); {REBUILD}")
    meta = manifest["layers"][name]
    f = Path(stamp[0]) / meta["file"]
    if not f.exists():
        raise BundleError(f"the bundle's layer file {f} is missing; {REBUILD}")
    try:
        return gpd.read_parquet(f) if meta.get("crs") else pd.read_parquet(f)
    except Exception as exc:  # pyarrow raises several types for a truncated or foreign file
        raise BundleError(f"the bundle's layer file {f} is damaged ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0][:200] if str(exc) else 'unreadable'}); {REBUILD}") from None


_READ_LOCKS: dict[str, threading.Lock] = {}
_READ_LOCKS_GUARD = threading.Lock()


def load_layer(name: str, path: str | Path | None = None) -> pd.DataFrame:
    """Return a copy of layer ``name`` from the bundle (GeoDataFrame for spatial layers).

    Thread-safe: concurrent first reads of the same layer read the file once.
    """
    stamp = _stamp(bundle_dir(path))
    with _READ_LOCKS_GUARD:
        lock = _READ_LOCKS.setdefault(f"{stamp[0]}:{name}", threading.Lock())
    with lock:
        return _read_layer(stamp, name).copy()


def load_geolayer(name: str, path: str | Path | None = None) -> gpd.GeoDataFrame:
    """Like :func:`load_layer` for a spatial layer; BundleError if the layer has no geometry."""
    frame = load_layer(name, path)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise BundleError(f"the bundle's layer '{name}' has no geometry; {REBUILD}")
    return frame


def verify(path: str | Path | None = None) -> None:
    """Check that every layer file of the manifest is there and has the sha256 the build recorded.

    Raises :class:`BundleError` naming the first missing or damaged file and how to rebuild it. Cheap
    (the bundle is under 1 MB): the dashboard and ``summary`` run it before they read anything.
    """
    folder = bundle_dir(path)
    for name, meta in sorted(load_manifest(folder)["layers"].items()):
        f = folder / meta["file"]
        if not f.is_file():
            raise BundleError(f"the bundle's layer file {f} (layer '{name}') is missing; {REBUILD}")
        if sha256_file(f) != meta["sha256"]:
            raise BundleError(f"the bundle's layer file {f} (layer '{name}') is damaged: its sha256 differs from "
                              f"the one the build recorded in {folder / MANIFEST}; {REBUILD}")


def layer_names(path: str | Path | None = None) -> list[str]:
    return sorted(load_manifest(path)["layers"])


def summary(path: str | Path | None = None, workspace_root: str | Path | None = None) -> dict[str, Any]:
    """The stable JSON shape printed by ``python -m pipeline summary``.

    ``{"layers": {name: {"rows", "crs", "bbox", ...}}, "sources": [...], "workspace": {name: {..., "workspace": true}}}``
    """
    verify(path)
    manifest = load_manifest(path)
    layers = {
        name: {"rows": meta["rows"], "crs": meta["crs"], "bbox": meta["bbox"],
               **{k: meta[k] for k in ("description", "origin") if k in meta}}
        for name, meta in manifest["layers"].items()
    }
    return {"built_at": manifest.get("built_at"), "layers": layers, "sources": manifest.get("sources", []),
            "workspace": workspace.summary(workspace_root)["layers"]}
