"""The build context: what one build step reads (raw files, with provenance) and adds (validated layers)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from pipeline.build.provenance import provenance_for
from pipeline.core import settings
from pipeline.core.errors import InputError
from pipeline.core.layers import validate_layer
from pipeline.core.storage import sha256_file


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

    def geo_layer(self, name: str) -> gpd.GeoDataFrame:
        """A built layer that has geometry (``strip``, ``blocks``, ...): :meth:`layer`, typed as a GeoDataFrame."""
        frame = self.layer(name)
        if not isinstance(frame, gpd.GeoDataFrame):
            raise TypeError(f"layer '{name}' has no geometry")
        return frame

    def add(self, name: str, frame: pd.DataFrame, *, inputs: list[str], validate: bool = True,
            **meta: Any) -> None:
        """Validate and keep a layer; ``inputs`` are the raw paths it was made from."""
        source = ", ".join(f"geodata/raw/{i}" for i in inputs) or "derived"
        if validate:
            strip = self.geo_layer("strip") if "strip" in self.layers else None
            validate_layer(name, frame, source=source, strip=strip,
                           tolerance_m=settings.get(settings.STRIP_TOLERANCE_M))
        self.layers[name] = frame
        files = sorted(k for k in self.inputs for i in inputs if k == i or k.startswith(i.rstrip("/") + "/"))
        self.layer_meta[name] = {"inputs": files, **meta}

    def note(self, key: str, value: Any) -> None:
        """Record a fact for the build report (printed, and stored in the manifest)."""
        self.report[key] = value
