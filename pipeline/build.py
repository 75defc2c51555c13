"""``python -m pipeline build``: raw files -> validated layers -> bundle (atomic).

A build is a list of steps.  Each step is a function ``step(ctx)`` that reads
raw files through ``ctx.path(...)`` (which records their sha256, origin and
licence) and adds layers with ``ctx.add(...)`` (which validates them).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from . import settings
from .bundle import sha256_file, write_bundle
from .errors import InputError
from .layers import validate_layer
from .provenance import provenance_for

# (label, "module:function"), in order.  Later steps may use earlier layers.
STEPS: list[tuple[str, str]] = [
    ("strip and governorates", "pipeline.sources.boundaries:build_boundaries"),
    ("blocks and pre-war population", "pipeline.derive:build_blocks"),
    ("places (gazetteer)", "pipeline.sources.places:build_places"),
    ("orders, zones, events, series", "pipeline.time_layers:build_time_layers"),
]


@dataclass
class BuildContext:
    raw_dir: Path
    progress: Callable[[str], None] = lambda msg: None
    layers: dict[str, pd.DataFrame] = field(default_factory=dict)
    layer_meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)

    def path(self, relpath: str) -> Path:
        """Absolute path of a raw file; records it as an input of this build."""
        p = self.raw_dir / relpath
        if not p.exists():
            raise InputError("raw file is missing", file=f"geodata/raw/{relpath}",
                             fix="restore it from the source named in geodata/SOURCES.md")
        prov = provenance_for(relpath)
        if prov is None:
            raise InputError("raw file has no provenance record", file=f"geodata/raw/{relpath}",
                             fix="add it to pipeline/provenance.py and geodata/SOURCES.md")
        files = sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p]
        for f in files:
            rel = f.relative_to(self.raw_dir).as_posix()
            if rel not in self.inputs:
                self.inputs[rel] = {"file": rel, "sha256": sha256_file(f), "bytes": f.stat().st_size,
                                    "origin": prov.origin, "licence": prov.licence,
                                    "title": prov.title, "caveat": prov.caveat, "url": prov.url}
        return p

    def layer(self, name: str) -> pd.DataFrame:
        if name not in self.layers:
            raise KeyError(f"layer '{name}' is not built yet (step order in pipeline/build.py)")
        return self.layers[name]

    def add(self, name: str, frame: pd.DataFrame, *, inputs: list[str], validate: bool = True,
            **meta: Any) -> None:
        """Validate and keep a layer; ``inputs`` are the raw paths it was made from."""
        source = ", ".join(f"geodata/raw/{i}" for i in inputs) or "derived"
        if validate:
            strip = self.layers.get("strip")
            validate_layer(name, frame, source=source, strip=strip,
                           tolerance_m=float(settings.get("strip_tolerance_m")))  # type: ignore[arg-type]
        self.layers[name] = frame
        files = sorted(k for k in self.inputs for i in inputs if k == i or k.startswith(i.rstrip("/") + "/"))
        self.layer_meta[name] = {"inputs": files, **meta}

    def note(self, key: str, value: Any) -> None:
        """Record a fact for the build report (printed, and stored in the manifest)."""
        self.report[key] = value


def run_steps(ctx: BuildContext, steps: list[tuple[str, str]] | None = None) -> None:
    steps = STEPS if steps is None else steps
    for i, (label, target) in enumerate(steps, 1):
        t0 = time.perf_counter()
        ctx.progress(f"[{i}/{len(steps)}] {label} ...")
        mod, fn = target.split(":")
        getattr(import_module(mod), fn)(ctx)
        ctx.progress(f"[{i}/{len(steps)}] {label}: done in {time.perf_counter() - t0:.1f} s")


def build(
    *,
    raw_dir: str | Path | None = None,
    out_dir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    steps: list[tuple[str, str]] | None = None,
) -> BuildContext:
    """Build every layer from ``raw_dir`` and write the bundle to ``out_dir`` atomically."""
    raw = Path(raw_dir) if raw_dir is not None else Path(settings.get("raw_dir"))  # type: ignore[arg-type]
    ctx = BuildContext(raw_dir=raw, progress=progress or (lambda m: print(m, file=sys.stderr, flush=True)))
    t0 = time.perf_counter()
    run_steps(ctx, steps)
    sources = sorted(ctx.inputs.values(), key=lambda r: r["file"])
    write_bundle(ctx.layers, out_dir=out_dir, layer_meta=ctx.layer_meta, sources=sources, report=ctx.report)
    ctx.progress(f"bundle written: {len(ctx.layers)} layers from {len(sources)} files "
                 f"in {time.perf_counter() - t0:.1f} s")
    return ctx


def to_storage(gdf: gpd.GeoDataFrame, precision: float = 1e-7) -> gpd.GeoDataFrame:
    """EPSG:4326 with coordinates snapped to ``precision`` degrees (stable bytes, valid geometry)."""
    import shapely

    out = gdf.to_crs(4326) if gdf.crs is not None and gdf.crs.to_epsg() != 4326 else gdf.copy()
    if out.crs is None:
        out = out.set_crs(4326)
    geoms = shapely.set_precision(shapely.make_valid(np.asarray(out.geometry.values)), precision)
    geoms = shapely.make_valid(geoms)
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=4326))
    return out
