"""The bundle is rebuilt byte-for-byte from geodata/raw (and matches what is committed)."""

from __future__ import annotations

import time

import pytest

from pipeline.build.run import build
from pipeline.runtime.bundle import load_manifest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    out = tmp_path_factory.mktemp("rebuild") / "bundle"
    lines: list[str] = []
    t0 = time.perf_counter()
    build(out_dir=out, progress=lines.append)
    return out, lines, time.perf_counter() - t0


def test_rebuild_gives_identical_layer_hashes(rebuilt, tmp_path):
    out, _, _ = rebuilt
    second = tmp_path / "again"
    build(out_dir=second, progress=lambda m: None)
    a = {n: m["sha256"] for n, m in load_manifest(out)["layers"].items()}
    b = {n: m["sha256"] for n, m in load_manifest(second)["layers"].items()}
    assert a == b


def test_committed_bundle_is_up_to_date(rebuilt):
    out, _, _ = rebuilt
    fresh = {n: m["sha256"] for n, m in load_manifest(out)["layers"].items()}
    committed = {n: m["sha256"] for n, m in load_manifest()["layers"].items()}
    stale = sorted(n for n in fresh if committed.get(n) != fresh[n])
    assert stale == [], f"run `python -m pipeline build` and commit geodata/bundle (stale: {stale})"


def test_build_reports_progress_for_every_step(rebuilt):
    _, lines, _ = rebuilt
    assert any(line.startswith("[1/") for line in lines)
    assert lines[-1].startswith("bundle written")
