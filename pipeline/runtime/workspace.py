"""The workspace: layers people imported, kept beside (never inside) the bundle.

Folder ``settings.WORKSPACE_DIR`` (git-ignored) holds ``manifest.json``
and ``layers/<name>.parquet``. Every write goes to a temporary file in the same
folder and is swapped in with ``os.replace``; the manifest is read, changed and
written while holding an exclusive ``fcntl`` lock on ``.lock``, so two people
importing at once each get their own layer (a taken name gets a ``-2`` suffix)
and neither entry is lost.

Event layers follow the events schema (event_id, date, kind, fatalities,
location, pcode, block_id, dataset, source, source_url, geo_precision, notes,
geometry) and carry ``acled`` in their manifest entry: ACLED layers are shown
aggregated (:func:`aggregate_events`) and are left out of
:func:`export_geopackage`, since ACLED's terms forbid passing rows on.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from pipeline.core import settings
from pipeline.core.storage import atomic_write_bytes, bbox_of, sha256_file

MANIFEST = "manifest.json"
LOCK = ".lock"
LAYERS = "layers"


def workspace_dir(root: str | Path | None = None) -> Path:
    return Path(root) if root is not None else settings.get(settings.WORKSPACE_DIR)


def slug(name: str) -> str:
    """A safe layer name: lower-case letters, digits, ``-`` and ``_`` (at most 60 characters)."""
    s = re.sub(r"[^a-z0-9_-]+", "-", str(name).lower()).strip("-_")[:60].strip("-_")
    return s or "layer"


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _read_manifest(root: Path) -> dict[str, Any]:
    p = root / MANIFEST
    if not p.exists():
        return {"layers": {}}
    manifest: dict[str, Any] = json.loads(p.read_text(encoding="utf-8"))
    return manifest


def _write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n"
    atomic_write_bytes(root / MANIFEST, text.encode("utf-8"))


def save_layer(name: str, gdf: pd.DataFrame, *, origin: str, meta: dict[str, Any] | None = None,
               root: str | Path | None = None, overwrite: bool = False) -> dict[str, Any]:
    """Store one layer and its manifest entry atomically; return the entry.

    ``origin`` is the file the layer came from (its name as uploaded). ``meta``
    adds fields to the entry (``acled``, ``kind``, ``dataset``, ``origin_sha256``,
    counts ...). A name already taken gets a numeric suffix unless ``overwrite``.
    """
    ws = workspace_dir(root)
    meta = dict(meta or {})
    base = slug(name)
    with _locked(ws):
        manifest = _read_manifest(ws)
        layer = base
        n = 2
        while layer in manifest["layers"] and not overwrite:
            layer = f"{base}-{n}"
            n += 1
        frame = gdf.reset_index(drop=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{layer}.", suffix=".parquet.tmp", dir=_layers_dir(ws))
        os.close(fd)
        try:
            if isinstance(frame, gpd.GeoDataFrame):
                frame.to_parquet(tmp, index=False, compression="zstd")
            else:
                frame.to_parquet(tmp, index=False, compression="zstd")
            target = ws / LAYERS / f"{layer}.parquet"
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        entry = {
            "name": layer,
            "file": f"{LAYERS}/{layer}.parquet",
            "origin": origin,
            "imported_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "rows": int(len(frame)),
            "crs": frame.crs.to_string() if isinstance(frame, gpd.GeoDataFrame) and frame.crs else None,
            "bbox": bbox_of(frame),
            "columns": [c for c in frame.columns if c != "geometry"],
            "sha256": sha256_file(target),
            "acled": bool(meta.pop("acled", False)),
            "workspace": True,
            **meta,
        }
        manifest["layers"][layer] = entry
        _write_manifest(ws, manifest)
    return entry


def _layers_dir(ws: Path) -> Path:
    d = ws / LAYERS
    d.mkdir(parents=True, exist_ok=True)
    return d


def list_layers(root: str | Path | None = None) -> list[dict[str, Any]]:
    """Manifest entries of the saved layers, oldest first (empty when there is no workspace yet)."""
    ws = workspace_dir(root)
    entries = list(_read_manifest(ws)["layers"].values())
    return sorted(entries, key=lambda e: (e.get("imported_at", ""), e["name"]))


def entry(name: str, root: str | Path | None = None) -> dict[str, Any]:
    layers = _read_manifest(workspace_dir(root))["layers"]
    if name not in layers:
        raise KeyError(f"no workspace layer {name!r} (layers: {sorted(layers)})")
    found: dict[str, Any] = layers[name]
    return found


def load(name: str, root: str | Path | None = None) -> pd.DataFrame:
    """The stored (Geo)DataFrame of layer ``name``."""
    e = entry(name, root)
    path = workspace_dir(root) / e["file"]
    return gpd.read_parquet(path) if e.get("crs") else pd.read_parquet(path)


def delete(name: str, root: str | Path | None = None) -> bool:
    """Remove a layer and its manifest entry; False if there was no such layer."""
    ws = workspace_dir(root)
    if not (ws / MANIFEST).exists():
        return False
    with _locked(ws):
        manifest = _read_manifest(ws)
        e = manifest["layers"].pop(name, None)
        if e is None:
            return False
        _write_manifest(ws, manifest)
        (ws / e["file"]).unlink(missing_ok=True)
    return True


def drop_events(name: str, event_ids: set[str], root: str | Path | None = None) -> int:
    """Remove the events whose ``event_id`` is in ``event_ids`` from layer ``name`` (newest import wins).

    The layer keeps its manifest entry (origin, import time) with its counts updated; a layer left
    with no row is deleted. Returns the number of rows removed.
    """
    ws = workspace_dir(root)
    with _locked(ws):
        manifest = _read_manifest(ws)
        e = manifest["layers"].get(name)
        if e is None:
            return 0
        path = ws / e["file"]
        frame = gpd.read_parquet(path) if e.get("crs") else pd.read_parquet(path)
        gone = frame["event_id"].astype("string").isin(list(event_ids)).to_numpy()
        if not gone.any():
            return 0
        if gone.all():
            manifest["layers"].pop(name)
            _write_manifest(ws, manifest)
            path.unlink(missing_ok=True)
            return int(gone.sum())
        kept = frame.loc[~gone].reset_index(drop=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".parquet.tmp", dir=_layers_dir(ws))
        os.close(fd)
        try:
            kept.to_parquet(tmp, index=False, compression="zstd")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        e.update(rows=int(len(kept)), bbox=bbox_of(kept), sha256=sha256_file(path),
                 removed_as_overlap=int(e.get("removed_as_overlap", 0)) + int(gone.sum()))
        _write_manifest(ws, manifest)
    return int(gone.sum())


def export_geopackage(root: str | Path | None = None, *, include_acled: bool = False) -> bytes:
    """All workspace layers as one GeoPackage (bytes) that ``python -m pipeline import`` reads back.

    ACLED layers are left out (their rows may not be passed on). Each layer carries its
    manifest facts as GeoPackage layer metadata (``gdm_*`` keys), so re-importing keeps them.
    """
    import pyogrio

    layers = [e for e in list_layers(root) if include_acled or not e.get("acled")]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "workspace.gpkg"
        if not layers:
            raise ValueError("the workspace has no layer that can be exported")
        for e in layers:
            gdf = load(e["name"], root)
            if not isinstance(gdf, gpd.GeoDataFrame):
                continue
            for c in gdf.columns:
                if str(gdf[c].dtype) == "string":
                    gdf[c] = gdf[c].astype(object)
            md = {f"gdm_{k}": str(e.get(k)) for k in ("kind", "dataset", "origin", "imported_at", "acled")
                  if e.get(k) is not None}
            pyogrio.write_dataframe(gdf, path, layer=e["name"], driver="GPKG", append=path.exists(),
                                    layer_metadata=md, promote_to_multi=e.get("kind") == "zones")
        return path.read_bytes()


def summary(root: str | Path | None = None) -> dict[str, Any]:
    """``{"layers": {name: {"rows", "crs", "bbox", "origin", "imported_at", "acled", "kind"}}}`` (workspace only)."""
    return {"layers": {e["name"]: {"rows": e["rows"], "crs": e["crs"], "bbox": e["bbox"], "origin": e["origin"],
                                   "imported_at": e["imported_at"], "acled": e.get("acled", False),
                                   "kind": e.get("kind"), "workspace": True}
                       for e in list_layers(root)}}


def file_hashes(root: str | Path | None = None) -> dict[str, str]:
    """sha256 of every file in the workspace folder (what tests compare before and after an import)."""
    ws = workspace_dir(root)
    if not ws.exists():
        return {}
    return {p.relative_to(ws).as_posix(): sha256_file(p) for p in sorted(ws.rglob("*")) if p.is_file()}


def aggregate_events(gdf: pd.DataFrame, by: str = "block", period: str | None = "W",
                     *, shapes: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Counts and reported fatalities of events per block (``block_id``) or governorate (``pcode``) and period.

    ``period`` is ``"W"`` (weeks starting Monday), ``"M"`` (calendar months) or None (whole span).
    Columns: the key, ``period_start`` (if a period), ``events``, ``fatalities`` (sum of reported),
    ``fatalities_reported`` (events with a figure), ``first_date``, ``last_date``. Events outside every
    block keep a missing ``block_id``. With ``shapes`` (the blocks or governorates layer) their polygons
    are joined and a GeoDataFrame is returned. This is how ACLED layers are shown by default.
    """
    if by not in ("block", "pcode"):
        raise ValueError("by must be 'block' or 'pcode'")
    if period not in ("W", "M", None):
        raise ValueError("period must be 'W', 'M' or None")
    key = "block_id" if by == "block" else "pcode"
    dates = pd.to_datetime(gdf["date"])
    df = pd.DataFrame({key: gdf[key].to_numpy(), "date": dates.to_numpy(),
                       "fatalities": pd.array(gdf["fatalities"].to_numpy(), dtype="Int64")})
    keys = [key]
    if period:
        df["period_start"] = dates.dt.to_period(period).dt.start_time.to_numpy()
        keys.append("period_start")
    out = (df.groupby(keys, dropna=False, sort=True)
           .agg(events=("date", "size"), fatalities=("fatalities", "sum"),
                fatalities_reported=("fatalities", "count"), first_date=("date", "min"), last_date=("date", "max"))
           .reset_index())
    out["fatalities"] = out["fatalities"].astype("Int64")
    if shapes is None:
        return out
    shapes = shapes[[key, "geometry"]].copy()
    if by == "block":
        out[key] = out[key].astype("Int64")
        shapes[key] = shapes[key].astype("Int64")
    merged = out.merge(shapes, on=key, how="left")
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=shapes.crs)
