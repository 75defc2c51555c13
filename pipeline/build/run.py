"""``python -m pipeline build``: raw files -> validated layers -> bundle (atomic).

A build is a list of steps.  Each step is a function ``step(ctx)`` that reads
raw files through ``ctx.path(...)`` (which records their sha256, origin and
licence) and adds layers with ``ctx.add(...)`` (which validates them).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.build.bundle_writer import write_bundle
from pipeline.build.context import BuildContext
from pipeline.build.steps import STEPS, Step
from pipeline.core import settings


def run_steps(ctx: BuildContext, steps: list[tuple[str, Step]] | None = None) -> None:
    steps = STEPS if steps is None else steps
    for i, (label, step) in enumerate(steps, 1):
        t0 = time.perf_counter()
        ctx.progress(f"[{i}/{len(steps)}] {label} ...")
        step(ctx)
        ctx.progress(f"[{i}/{len(steps)}] {label}: done in {time.perf_counter() - t0:.1f} s")


def build(
    *,
    raw_dir: str | Path | None = None,
    out_dir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    steps: list[tuple[str, Step]] | None = None,
) -> BuildContext:
    """Build every layer from ``raw_dir`` and write the bundle to ``out_dir`` atomically."""
    raw = Path(raw_dir) if raw_dir is not None else settings.get(settings.RAW_DIR)
    ctx = BuildContext(raw_dir=raw, progress=progress or (lambda m: print(m, file=sys.stderr, flush=True)))
    t0 = time.perf_counter()
    run_steps(ctx, steps)
    sources = sorted(ctx.inputs.values(), key=lambda r: r["file"])
    write_bundle(ctx.layers, out_dir=out_dir, layer_meta=ctx.layer_meta, sources=sources, report=ctx.report)
    ctx.progress(f"bundle written: {len(ctx.layers)} layers from {len(sources)} files "
                 f"in {time.perf_counter() - t0:.1f} s")
    return ctx
