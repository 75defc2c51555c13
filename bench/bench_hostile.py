"""Memory and time of checking large or hostile uploads, each in a fresh child process.

    python3 bench/bench_hostile.py [--mb 36] [--vertices 2000000]

1. A generated GeoJSON of about ``--mb`` MB (polygons in the Strip, 60 vertices each, a few attributes):
   peak resident memory (RSS) and wall time of detecting it, of reading it, and of a whole dry-run import.
2. One valid polygon of ``--vertices`` vertices (GeoPackage): the time until the import answers (refused by ``max_vertices``).
The limits are raised for the run (GDM_MAX_UPLOAD_MB) so the file is accepted; the features are invented.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import tempfile
from pipeline.runtime import detect, imports
def hwm():  # this process's own peak (ru_maxrss would carry the parent's peak across exec)
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
base = hwm()
path, stage = Path(sys.argv[2]), sys.argv[3]
t0 = time.perf_counter()
status = ""
if stage == "detect":
    detect.detect(path)
elif stage == "read":
    det = detect.detect(path)
    with tempfile.TemporaryDirectory() as tmp:
        imports.read_any(path, det, path.name, Path(tmp))
else:
    rep = imports.import_file(path, dry_run=True)
    status = rep["status"] + ": " + rep["message"][:90] + (" " + rep["rejections"][0]["reason"][:90] if rep["rejections"] else "")
peak = hwm()
print(f"{base / 1024:.0f} {peak / 1024:.0f} {time.perf_counter() - t0:.1f} {status}")
"""


def polygons_geojson(path: Path, target_mb: float, vertices: int = 60, seed: int = 3) -> int:
    rng = np.random.default_rng(seed)
    feats = []
    size, i = 0, 0
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    while size < target_mb * 1e6:
        cx, cy = rng.uniform(34.30, 34.48), rng.uniform(31.30, 31.50)
        r = rng.uniform(0.0005, 0.002) * rng.uniform(0.7, 1.0, vertices)
        ring = np.round(np.c_[cx + r * np.cos(angles), cy + r * np.sin(angles)], 6).tolist()
        ring.append(ring[0])
        f = {"type": "Feature", "properties": {"zone_id": f"z{i}", "name": f"zone {i}", "kind": "zone",
                                               "valid_from": "2023-12-01", "source": "bench"},
             "geometry": {"type": "Polygon", "coordinates": [ring]}}
        text = json.dumps(f)
        size += len(text) + 2
        feats.append(text)
        i += 1
    path.write_text('{"type": "FeatureCollection", "features": [\n' + ",\n".join(feats) + "\n]}\n")
    return i


def one_polygon(path: Path, n: int) -> None:
    """A valid polygon of ``n`` vertices as a GeoPackage (GDAL's GeoJSON reader refuses a 50 MB single object)."""
    import geopandas as gpd
    import shapely

    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = 0.01 * (1 + 0.05 * np.sin(angles * 7))
    poly = shapely.Polygon(np.c_[34.40 + r * np.cos(angles), 31.45 + r * np.sin(angles)])
    gpd.GeoDataFrame({"name": ["huge"]}, geometry=[poly], crs=4326).to_file(path, driver="GPKG")


def run(path: Path, stage: str, env: dict[str, str]) -> str:
    r = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(path), stage], env=env, capture_output=True,
                       text=True, timeout=1800)
    if r.returncode:
        return f"failed: {r.stderr.strip().splitlines()[-1][:200]}"
    base, peak, secs, *status = r.stdout.split(maxsplit=3)
    return f"peak RSS {peak} MB (imports alone {base} MB), {secs} s {' '.join(status)}".rstrip()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=36)
    ap.add_argument("--vertices", type=int, default=2_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="gdm-bench-hostile-") as tmp:
        env = {**os.environ, "GDM_WORKSPACE_DIR": str(Path(tmp) / "ws"), "GDM_MAX_UPLOAD_MB": "500"}
        big = Path(tmp) / "zones.geojson"
        t0 = time.perf_counter()
        n = polygons_geojson(big, args.mb)
        print(f"{big.stat().st_size / 1e6:.1f} MB GeoJSON, {n:,} polygons (generated in {time.perf_counter() - t0:.0f} s)")
        for stage in ("detect", "read", "import"):
            print(f"  {stage:7s} {run(big, stage, env)}", flush=True)
        huge = Path(tmp) / "huge.gpkg"
        one_polygon(huge, args.vertices)
        print(f"one polygon of {args.vertices:,} vertices ({huge.stat().st_size / 1e6:.0f} MB):")
        print(f"  import  {run(huge, 'import', env)}", flush=True)


if __name__ == "__main__":
    main()
