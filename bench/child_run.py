"""Run one part of a bench script in a child process against a given code tree, and read back its result.

The child is the bench script itself (``--child KIND ARG``), with ``PYTHONPATH`` and ``GDM_BENCH_CODE`` pointing at
the tree being measured (this checkout or a baseline copy), so each measurement starts from a fresh interpreter
and its peak memory is its own. The child prints one line ``RESULT <json>``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_child(script: str | Path, code: Path, kind: str, arg: str, env: dict[str, str]) -> dict[str, object]:
    e = {**os.environ, **env, "PYTHONPATH": str(code), "GDM_BENCH_CODE": str(code),
         "GDM_BUNDLE_DIR": str(ROOT / "geodata" / "bundle")}
    p = subprocess.run([sys.executable, str(Path(script).resolve()), "--child", kind, arg], cwd=code, env=e,
                       capture_output=True, text=True)
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, object] = json.loads(line[7:])
            return result
    raise RuntimeError(f"child {kind} failed:\n{p.stdout[-2000:]}\n{p.stderr[-4000:]}")
