"""Write ``geodata/bundle`` atomically: one (Geo)Parquet file per layer plus ``manifest.json``.

The new bundle is written to a temporary folder beside the target, then swapped in by rename, so a
failed build leaves the last good bundle untouched. Readers (``pipeline.runtime.bundle``) key their
caches on the manifest file itself, so a rebuilt bundle is seen without clearing anything here.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from pipeline.core import settings
from pipeline.core.storage import bbox_of, sha256_file, write_layer

MANIFEST = "manifest.json"


def write_bundle(
    layers: dict[str, pd.DataFrame],
    *,
    out_dir: str | Path | None = None,
    layer_meta: dict[str, dict[str, Any]] | None = None,
    sources: list[dict[str, Any]] | None = None,
    report: dict[str, Any] | None = None,
) -> Path:
    """Write all layers and the manifest to ``out_dir`` atomically; return the folder."""
    target = Path(out_dir) if out_dir is not None else settings.get(settings.BUNDLE_DIR)
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
    return target
