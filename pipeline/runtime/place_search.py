"""The gazetteer index, and finding places by name (English, Arabic, transliterations).

:func:`build_index` indexes every name and alias of the places layer once; :func:`search` ranks
places for a typed name: normalised exact and prefix matches first, then small typos through
rapidfuzz. Normalisation (both sides of every comparison) is :func:`pipeline.core.names.normalize`.
Each index keeps a bounded cache of recent searches (:class:`SearchCache`), safe to share between
the sessions of one server. :func:`get_index` is the cached loader for the edges (CLI, dashboard).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
from rapidfuzz import fuzz, process

from pipeline.core.names import ARABIC_LETTER, normalize
from pipeline.runtime.bundle import load_geolayer

SEARCH_CACHE_SIZE = 4096  # queries remembered per index (least recently used dropped first)

# Arabic aliases that are also common words ("the source", "victory", "olives", ...): searchable,
# but not matched inside running text.
_AR_COMMON_WORDS = {"المصدر", "النصر", "الزيتون", "التفاح", "الدرج", "الرمال", "الساحل", "الشاطئ",
                    "الجنينه", "الزهراء", "الشوكه", "السريج", "عمان"}
# Phrases that contain a place name but name something else: consumed without a mention.
_BLOCKED = [
    "israel defense forces", "israel defence forces", "israel defense force", "israel katz",
    "gaza humanitarian foundation", "gaza health ministry", "jordan river", "qatar airways",
    "palestine red crescent", "egyptian red crescent", "united nations", "turkey sandwich",
]
_KIND_ORDER = {"city": 0, "camp": 1, "crossing": 2, "area": 3, "landmark": 4, "region": 5}

SearchKey = tuple[str, int]
SearchHits = list[dict[str, Any]]


def no_arabic_article(key: str) -> str:
    """``key`` with the Arabic article ال dropped from each word longer than three letters."""
    return " ".join(w[2:] if w.startswith("ال") and len(w) > 3 else w for w in key.split())


class SearchCache:
    """A least-recently-used map of (normalised query, limit) -> hits, at most ``maxsize`` entries.

    Thread-safe: the dashboard's sessions share one index. Hits are stored and returned as copies.
    """

    def __init__(self, maxsize: int = SEARCH_CACHE_SIZE) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, not {maxsize}")
        self.maxsize = maxsize
        self._data: OrderedDict[SearchKey, SearchHits] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: SearchKey) -> SearchHits | None:
        with self._lock:
            hits = self._data.get(key)
            if hits is None:
                return None
            self._data.move_to_end(key)
            return [dict(h) for h in hits]

    def put(self, key: SearchKey, hits: SearchHits) -> None:
        with self._lock:
            self._data[key] = [dict(h) for h in hits]
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data


@dataclass
class GazetteerIndex:
    """Lookup structures built once from the places layer."""

    places: gpd.GeoDataFrame
    by_id: dict[str, dict[str, Any]]
    phrases: dict[tuple[str, ...], list[tuple[str, str]]]  # tokens -> [(place_id, alias as written)]
    first: dict[str, int]  # first token -> longest phrase length starting with it
    blocked: set[tuple[str, ...]]
    keys: list[str] = field(default_factory=list)
    key_place: list[str] = field(default_factory=list)
    key_label: list[str] = field(default_factory=list)
    search_cache: SearchCache = field(default_factory=SearchCache)


def load_places(bundle: str | Path | None = None) -> gpd.GeoDataFrame:
    """The places layer from the bundle."""
    return load_geolayer("places", bundle)


def _place_record(r: Any, names: list[str]) -> dict[str, Any]:
    return {
        "place_id": r.place_id, "name_en": r.name_en,
        "name_ar": r.name_ar if isinstance(r.name_ar, str) else None, "kind": r.kind,
        "inside_gaza": bool(r.inside_gaza), "pcode": r.pcode if isinstance(r.pcode, str) else None,
        "lon": float(r.label_lon), "lat": float(r.label_lat), "names": names,
    }


def build_index(places: gpd.GeoDataFrame, *, cache_size: int = SEARCH_CACHE_SIZE) -> GazetteerIndex:
    """Index every name and alias of ``places`` for text matching and search."""
    by_id: dict[str, dict[str, Any]] = {}
    phrases: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    keys: list[str] = []
    key_place: list[str] = []
    key_label: list[str] = []
    rows: Iterable[Any] = places.itertuples(index=False)  # one named tuple per place
    for r in rows:
        names: list[str] = [r.name_en] + ([r.name_ar] if isinstance(r.name_ar, str) and r.name_ar else []) + \
            [a for a in str(r.aliases or "").split("|") if a]
        by_id[r.place_id] = _place_record(r, names)
        seen: set[str] = set()
        for name in names:
            key = normalize(name)
            if not key:
                continue
            for k in {key, key.replace(" ", ""), no_arabic_article(key)}:
                if k not in seen:
                    seen.add(k)
                    keys.append(k)
                    key_place.append(r.place_id)
                    key_label.append(name)
            if ARABIC_LETTER.search(name) and key in _AR_COMMON_WORDS:
                continue
            toks = tuple(key.split())
            lst = phrases.setdefault(toks, [])
            if all(pid != r.place_id for pid, _ in lst):
                lst.append((r.place_id, name))
    # Two places claiming one phrase: keep the first by kind priority (a place over a region).
    first: dict[str, int] = {}
    for toks in phrases:
        first[toks[0]] = max(first.get(toks[0], 0), len(toks))
    blocked = {tuple(normalize(b).split()) for b in _BLOCKED}
    for toks in blocked:
        first[toks[0]] = max(first.get(toks[0], 0), len(toks))
    return GazetteerIndex(places, by_id, phrases, first, blocked, keys, key_place, key_label,
                          SearchCache(cache_size))


@lru_cache(maxsize=4)
def _cached_index(bundle: str | None) -> GazetteerIndex:
    return build_index(load_places(bundle))


def get_index(bundle: str | Path | None = None) -> GazetteerIndex:
    """The index of the bundle's places, built once per process (for the CLI and the dashboard)."""
    return _cached_index(str(bundle) if bundle is not None else None)


# ----------------------------------------------------------------------------- search


def _candidates(idx: GazetteerIndex, q: str) -> dict[str, tuple[float, str]]:
    """place_id -> (best score, name it matched on) for the normalised query ``q``."""
    q_variants = tuple({q, q.replace(" ", ""), no_arabic_article(q)})
    spaced = tuple(f" {v}" for v in q_variants)
    best: dict[str, tuple[float, str]] = {}

    def offer(pid: str, score: float, label: str) -> None:
        if score > best.get(pid, (-1.0, ""))[0]:
            best[pid] = (score, label)

    for i, key in enumerate(idx.keys):
        if key in q_variants:
            offer(idx.key_place[i], 100.0, idx.key_label[i])
        elif len(q) >= 2 and key.startswith(q_variants):
            offer(idx.key_place[i], 99.0 - min(9.0, (len(key) - len(q)) / 2), idx.key_label[i])
        elif len(q) >= 4 and any(s in f" {key}" for s in spaced):
            offer(idx.key_place[i], 88.0, idx.key_label[i])
    if len(q) >= 3:
        for v in q_variants:
            for key, score, i in process.extract(v, idx.keys, scorer=fuzz.WRatio, limit=40, score_cutoff=75):
                # WRatio rewards partial matches of short queries inside long keys: damp that.
                ratio = fuzz.ratio(v, key)
                s = float(score) if min(len(v), len(key)) >= 0.6 * max(len(v), len(key)) else \
                    min(float(score), 0.5 * float(score) + 0.5 * ratio)
                if s >= 75:
                    offer(idx.key_place[i], min(s, 97.0), idx.key_label[i])
    return best


def search(idx: GazetteerIndex, query: str, limit: int = 10) -> list[dict[str, Any]]:
    """Places matching ``query`` best first: {place_id, name_en, name_ar, kind, score, lon, lat, ...}.

    Scores: 100 exact (after normalisation), 90-99 prefix, else the rapidfuzz WRatio (>= 75) for
    small typos. Places inside Gaza come before places outside at equal score.
    """
    q = normalize(query)
    if not q:
        return []
    cached = idx.search_cache.get((q, limit))
    if cached is not None:
        return cached
    best = _candidates(idx, q)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], not idx.by_id[kv[0]]["inside_gaza"],
                                                  _KIND_ORDER.get(idx.by_id[kv[0]]["kind"], 9),
                                                  idx.by_id[kv[0]]["name_en"]))
    out = []
    for pid, (score, label) in ranked[:limit]:
        p = idx.by_id[pid]
        out.append({"place_id": pid, "name_en": p["name_en"], "name_ar": p["name_ar"], "kind": p["kind"],
                    "score": round(score, 1), "lon": p["lon"], "lat": p["lat"], "inside_gaza": p["inside_gaza"],
                    "pcode": p["pcode"], "matched": label})
    idx.search_cache.put((q, limit), out)
    return out
