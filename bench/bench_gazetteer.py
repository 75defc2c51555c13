"""Time pipeline.runtime.mentions.find_mentions on a 5,000-word text, and place search (target < 1 s)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.runtime.mentions import find_mentions  # noqa: E402
from pipeline.runtime.place_search import get_index, search  # noqa: E402


def main() -> None:
    t0 = time.perf_counter()
    idx = get_index()
    t_index = time.perf_counter() - t0
    ev = json.loads((ROOT / "tests" / "data" / "eval" / "places_eval.json").read_text(encoding="utf-8"))
    base = "\n\n".join(t["text"] for t in ev["texts"])
    words = base.split()
    text = " ".join(words * (5000 // len(words) + 1))
    text = " ".join(text.split()[:5000])
    find_mentions(idx, text[:2000], "2023-12-02")  # warm-up
    runs = []
    for _ in range(5):
        idx.search_cache.clear()
        t0 = time.perf_counter()
        res = find_mentions(idx, text, "2023-12-02")
        runs.append(time.perf_counter() - t0)
    print(f"index build (once per process): {t_index:.2f} s")
    print(f"find_mentions on {len(text.split()):,} words: best {min(runs):.3f} s, median {sorted(runs)[2]:.3f} s "
          f"({len(res['mentions'])} mentions, {len(res['outside'])} outside, {len(res['figures'])} figures)")
    t0 = time.perf_counter()
    for q in ["Khan Yunis", "خان يونس", "Shujaiyya", "Khan Younnis", "al mawasi", "Nusairat"] * 10:
        idx.search_cache.clear()  # time the uncached search
        search(idx, q)
    print(f"search: {(time.perf_counter() - t0) / 60 * 1000:.1f} ms per query")


if __name__ == "__main__":
    main()
