"""Find places by name (English, Arabic, transliterations) and find the places and figures a text names.

- :func:`search` ranks places for a typed name: normalised exact and prefix matches first, then
  small typos through rapidfuzz.
- :func:`find_mentions` reads a report: every gazetteer name it contains (longest name wins, so
  "Rafah crossing" is the crossing and "east of Khan Younis" the region), with its sentence and
  character offsets; places outside Gaza listed apart; capitalised names after "in", "near", ...
  that match nothing listed as unmatched (never guessed onto the map); and the figures it states,
  each with what it counts, its sentence and the places in that sentence.
- ``python -m pipeline places FILE [--date YYYY-MM-DD]`` prints that as JSON (:func:`cli`).

Normalisation (both sides of every comparison): case, diacritics, apostrophes, hyphens, the
articles "al-"/"el-" (and "ad-", "as-", ... when hyphenated); Arabic tashkeel and tatweel removed,
hamza forms (أ إ آ ؤ ئ) folded, ى -> ي, ة -> ه.
"""

from __future__ import annotations

import argparse
import html
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import geopandas as gpd
from rapidfuzz import fuzz, process

from pipeline.core.errors import InputError
from pipeline.core.dates import optional_date, parse_date
from pipeline.core.names import ARABIC_LETTER, ARTICLES, normalize, tokens
from pipeline.runtime import workspace
from pipeline.runtime.bundle import load_geolayer

def _no_arabic_article(key: str) -> str:
    return " ".join(w[2:] if w.startswith("ال") and len(w) > 3 else w for w in key.split())


# ----------------------------------------------------------------------------- the index

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
# Words allowed right before a one-word place name (otherwise a capitalised word there suggests a
# person's name such as "Younis" or "Nasr" in "Ahmed Nasr").
_BEFORE_OK = {
    "in", "at", "near", "from", "to", "towards", "toward", "around", "into", "outside", "inside", "across",
    "of", "and", "or", "the", "north", "south", "east", "west", "northern", "southern", "eastern", "western",
    "central", "greater", "both", "between", "via", "through", "on", "for", "with", "than", "including",
    "as", "like", "while", "but", "when", "where", "after", "before", "since", "by", "over", "within", "about",
    "also", "then", "only", "mainly", "mostly", "especially", "particularly", "notably", "reached", "entered",
    "left", "fled", "struck", "hit", "shelled", "raided", "besieged", "displaced", "returned", "reach",
}
_CASE_SENSITIVE_MAX = 4  # aliases written in capitals up to this length (US, UK, UAE, USA) must match case


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
    search_cache: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)


def load_places(bundle: str | Path | None = None) -> gpd.GeoDataFrame:
    """The places layer from the bundle."""
    return load_geolayer("places", bundle)


def build_index(places: gpd.GeoDataFrame) -> GazetteerIndex:
    """Index every name and alias of ``places`` for text matching and search."""
    by_id: dict[str, dict[str, Any]] = {}
    phrases: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    keys: list[str] = []
    key_place: list[str] = []
    key_label: list[str] = []
    for r in places.itertuples(index=False):
        names = [r.name_en] + ([r.name_ar] if isinstance(r.name_ar, str) and r.name_ar else []) + \
            [a for a in str(r.aliases or "").split("|") if a]
        by_id[r.place_id] = {
            "place_id": r.place_id, "name_en": r.name_en,
            "name_ar": r.name_ar if isinstance(r.name_ar, str) else None, "kind": r.kind,
            "inside_gaza": bool(r.inside_gaza), "pcode": r.pcode if isinstance(r.pcode, str) else None,
            "lon": float(r.label_lon), "lat": float(r.label_lat), "names": names,
        }
        seen: set[str] = set()
        for name in names:
            key = normalize(name)
            if not key:
                continue
            for k in {key, key.replace(" ", ""), _no_arabic_article(key)}:
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
    return GazetteerIndex(places, by_id, phrases, first, blocked, keys, key_place, key_label)


@lru_cache(maxsize=4)
def _cached_index(bundle: str | None) -> GazetteerIndex:
    return build_index(load_places(bundle))


def get_index(bundle: str | Path | None = None) -> GazetteerIndex:
    return _cached_index(str(bundle) if bundle is not None else None)


# ----------------------------------------------------------------------------- search

_KIND_ORDER = {"city": 0, "camp": 1, "crossing": 2, "area": 3, "landmark": 4, "region": 5}


def search(query: str, limit: int = 10, *, index: GazetteerIndex | None = None) -> list[dict[str, Any]]:
    """Places matching ``query`` best first: {place_id, name_en, name_ar, kind, score, lon, lat, ...}.

    Scores: 100 exact (after normalisation), 90-99 prefix, else the rapidfuzz WRatio (>= 75) for
    small typos. Places inside Gaza come before places outside at equal score.
    """
    idx = index or get_index()
    q = normalize(query)
    if not q:
        return []
    cached = idx.search_cache.get((q, limit))
    if cached is not None:
        return [dict(r) for r in cached]
    q_variants = tuple({q, q.replace(" ", ""), _no_arabic_article(q)})
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
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], not idx.by_id[kv[0]]["inside_gaza"],
                                                  _KIND_ORDER.get(idx.by_id[kv[0]]["kind"], 9),
                                                  idx.by_id[kv[0]]["name_en"]))
    out = []
    for pid, (score, label) in ranked[:limit]:
        p = idx.by_id[pid]
        out.append({"place_id": pid, "name_en": p["name_en"], "name_ar": p["name_ar"], "kind": p["kind"],
                    "score": round(score, 1), "lon": p["lon"], "lat": p["lat"], "inside_gaza": p["inside_gaza"],
                    "pcode": p["pcode"], "matched": label})
    idx.search_cache[(q, limit)] = [dict(r) for r in out]
    return out


# ----------------------------------------------------------------------------- sentences

_ABBREV = {"dr", "mr", "mrs", "ms", "st", "no", "approx", "est", "vs", "etc", "e.g", "i.e", "gen", "lt", "col",
           "capt", "sgt", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
           "u.s", "u.k", "u.n", "a.m", "p.m"}


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences of ``text`` (also split at line breaks)."""
    spans = []
    start = 0
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        boundary = False
        if c == "\n":
            boundary = True
        elif c in ".!?؟":
            j = i + 1
            while j < n and text[j] in ".!?\"'”’)]":
                j += 1
            if j >= n or text[j].isspace():
                k = j
                while k < n and text[k] in " \t":
                    k += 1
                nxt = text[k] if k < n else ""
                word = re.search(r"([\w.]+)$", text[start:i])
                prev = word.group(1).lower() if word else ""
                if (k >= n or nxt == "\n" or nxt.isupper() or nxt.isdigit() or nxt in "\"'“‘(" or ARABIC_LETTER.match(nxt)) \
                        and prev not in _ABBREV and not re.fullmatch(r"(?:[a-z]\.)*[a-z]", prev):
                    boundary = True
                    i = j - 1
        if boundary:
            if text[start:i + 1].strip():
                spans.append(_trim(text, start, i + 1))
            start = i + 1
        i += 1
    if text[start:].strip():
        spans.append(_trim(text, start, n))
    return spans


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


# ----------------------------------------------------------------------------- mentions

_LOCATIVE = {"in", "at", "near", "from", "to", "towards", "toward", "around", "into", "outside", "inside",
             "across", "via", "through", "reached", "entered", "fled", "left"}
_NOT_PLACES = {
    "the", "a", "an", "this", "that", "these", "those", "his", "her", "their", "our", "its", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april", "may",
    "june", "july", "august", "september", "october", "november", "december", "un", "ocha", "unrwa", "who",
    "wfp", "unicef", "icrc", "idf", "hamas", "cogat", "msf", "prcs", "pm", "am", "english", "arabic",
    "hebrew", "israeli", "palestinian", "palestinians", "israelis", "egyptian", "qatari", "american", "european",
    "arab", "muslim", "ramadan", "eid", "christmas", "covid", "reuters", "ap", "afp", "bbc", "cnn", "al", "el",
    "we", "i", "they", "he", "she", "it", "you", "there", "here", "order", "orders", "response", "total",
    "addition", "part", "line", "light", "view", "charge", "time", "fact", "case", "short", "particular",
}
_CAP_WORD = r"[A-Z][\w'’\-]*"
_CANDIDATE = re.compile(r"\b(" + _CAP_WORD + r"(?:\s+(?:(?:al|el|ad|as|an|ar|az|ash|at|a)[\-\s])?" +
                        _CAP_WORD + r"){0,3})")


def _sentence_of(spans: list[tuple[int, int]], pos: int) -> int:
    lo, hi = 0, len(spans) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        a, b = spans[mid]
        if pos < a:
            hi = mid - 1
        elif pos >= b:
            lo = mid + 1
        else:
            return mid
    return max(0, min(len(spans) - 1, lo - 1))


def _prev_word(text: str, start: int, floor: int) -> tuple[str, str]:
    """(the word right before ``start`` within the sentence, the gap between them)."""
    m = re.search(r"([\w'’\-]+)([\s\-]*)$", text[floor:start])
    if not m:
        return "", text[floor:start]
    return m.group(1), m.group(2)


def _mention_record(idx: GazetteerIndex, pid: str, text: str, a: int, b: int, spans: list[tuple[int, int]],
                    alias: str) -> dict[str, Any]:
    p = idx.by_id[pid]
    si = _sentence_of(spans, a)
    sa, sb = spans[si] if spans else (0, len(text))
    return {"name": text[a:b], "place_id": pid, "name_en": p["name_en"], "name_ar": p["name_ar"],
            "kind": p["kind"], "inside_gaza": p["inside_gaza"], "pcode": p["pcode"], "start": a, "end": b,
            "sentence_index": si, "sentence": text[sa:sb], "lon": p["lon"], "lat": p["lat"], "matched_alias": alias}


def _match_places(idx: GazetteerIndex, text: str, spans: list[tuple[int, int]]
                  ) -> tuple[list[dict[str, Any]], list[tuple[int, int]]]:
    toks = tokens(text)
    found: list[dict[str, Any]] = []
    consumed: list[tuple[int, int]] = []
    i = 0
    n = len(toks)
    while i < n:
        t = toks[i][0]
        cand_first = [t]
        if ARABIC_LETTER.match(t) and len(t) > 3 and t[0] in "وبلفك" and t not in idx.first:
            cand_first.append(t[1:])  # Arabic proclitic: و ب ل ف ك + name
            if t[0] in "وف" and t[1] in "بلك" and len(t) > 4:
                cand_first.append(t[2:])  # two of them: وب، ول، فب ...
        hit = None
        for variant_no, first in enumerate(cand_first):
            maxlen = idx.first.get(first, 0)
            for L in range(min(maxlen, n - i), 0, -1):
                key = (first,) + tuple(x[0] for x in toks[i + 1:i + L])
                if L > 1 and any(_sentence_break(text, toks[i + k - 1][2], toks[i + k][1]) for k in range(1, L)):
                    continue
                if key in idx.blocked:
                    hit = ("blocked", L, variant_no)
                    break
                if key in idx.phrases:
                    hit = ("place", L, variant_no)
                    break
            if hit:
                break
        if not hit:
            i += 1
            continue
        what, L, variant_no = hit
        a = toks[i][1] + variant_no
        b = toks[i + L - 1][2]
        # Keep an article written before the name ("al-Mawasi", "Al Mughraqa") inside the span.
        m = re.search(r"\b([Aa]l|[Ee]l)[\-\s]$", text[max(0, a - 3):a])
        if m and variant_no == 0:
            a -= len(m.group(0))
        consumed.append((a, b))
        if what == "place":
            key = (toks[i][0][variant_no:],) + tuple(x[0] for x in toks[i + 1:i + L])
            pid, alias = idx.phrases[key][0]
            if _accept(idx, text, a, b, L, alias, spans):
                found.append(_mention_record(idx, pid, text, a, b, spans, alias))
        i += L
    return found, consumed


def _sentence_break(text: str, end: int, start: int) -> bool:
    gap = text[end:start]
    return any(c in gap for c in ".;:!?\n()[]\"“”،")


def _accept(idx: GazetteerIndex, text: str, a: int, b: int, ntok: int, alias: str,
            spans: list[tuple[int, int]]) -> bool:
    """Reject a match that is a different word in disguise (case-sensitive acronyms, person names)."""
    written = text[a:b]
    compact = alias.replace(".", "").replace(" ", "")
    if compact.isupper() and len(compact) <= _CASE_SENSITIVE_MAX and compact.isascii():
        if written.replace(".", "").replace(" ", "") != compact:
            return False
    if ntok == 1 and not ARABIC_LETTER.search(written):
        bare = re.sub(r"^(?:[Aa]l|[Ee]l)[\-\s]", "", written)
        if not bare[:1].isupper() and not alias[:1].islower():
            return False  # a place name written in lower case ("gaza" in a URL-ish word) is not trusted
        si = _sentence_of(spans, a)
        floor = spans[si][0] if spans else 0
        prev, gap = _prev_word(text, a, floor)
        if prev and prev[:1].isupper() and prev.lower().strip("-") not in _BEFORE_OK and "\n" not in gap \
                and normalize(prev) not in idx.first and normalize(prev) not in ARTICLES \
                and a - len(prev) - len(gap) > floor:
            return False  # "Ahmed Nasr", "Younis Khalil": a capitalised word right before: a person's name
        nxt = re.match(r"[\s\-]+([A-Z][a-z]+)", text[b:b + 30])
        if nxt and nxt.group(1).lower() not in _BEFORE_OK and normalize(nxt.group(1)) not in idx.first \
                and nxt.group(1).lower() not in _SUFFIX_OK and idx_kind_is_personlike(alias):
            return False
    return True


# Words that may follow a one-word place name without making it a person's name.
_SUFFIX_OK = {"city", "camp", "governorate", "area", "crossing", "hospital", "strip", "health", "ministry",
              "municipality", "district", "road", "street", "border", "residents", "office", "authorities"}


def idx_kind_is_personlike(alias: str) -> bool:
    """Aliases that are also common given names or surnames (checked for a following capitalised word)."""
    return normalize(alias) in {"nasr", "naser", "nasser", "zahra", "shoka", "sabra", "jordan", "abasan", "daraj"}


def _unmatched(idx: GazetteerIndex, text: str, consumed: list[tuple[int, int]], spans: list[tuple[int, int]]
               ) -> list[dict[str, Any]]:
    out = []
    seen: set[str] = set()
    taken = sorted(consumed)
    for m in _CANDIDATE.finditer(text):
        a, b = m.span(1)
        name = m.group(1).rstrip("'’-")
        b = a + len(name)
        if any(x < b and a < y for x, y in taken):
            continue
        si = _sentence_of(spans, a)
        floor = spans[si][0] if spans else 0
        prev, gap = _prev_word(text, a, floor)
        words = [w for w in re.split(r"[\s\-]+", name) if w]
        if words[0].lower() in _NOT_PLACES or all(w.lower() in _NOT_PLACES for w in words):
            continue
        key = normalize(name)
        if key in seen or len(key) < 3:
            continue
        locative = prev.lower() in _LOCATIVE and "\n" not in gap
        hits = search(name, limit=1, index=idx) if (locative or len(key) >= 5) else []
        suggestion = hits[0]["place_id"] if hits and hits[0]["score"] >= 85 else None
        # A capitalised name counts when it follows "in", "near", "from" ... or looks like a
        # misspelt place (a close gazetteer name); anything else is ordinary capitalised text.
        if not locative and (suggestion is None or
                             fuzz.ratio(key, normalize(hits[0]["matched"])) < 85):
            continue
        seen.add(key)
        sa, sb = spans[si] if spans else (0, len(text))
        out.append({"name": name, "start": a, "end": b, "sentence_index": si, "sentence": text[sa:sb],
                    "suggestion": suggestion})
    return out


# ----------------------------------------------------------------------------- figures and dates

_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                        "nov", "dec"], 1)}
_MONTH_RE = r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|" \
            r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_DATE_DM = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH_RE + r"(?:,?\s+(\d{4}))?\b")
_DATE_MD = re.compile(r"\b" + _MONTH_RE + r"\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4}))?")
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DATE_REL = re.compile(r"\b(?:(?:on|last|this|since|by|until|from|early|late)\s+)?(Monday|Tuesday|Wednesday|"
                       r"Thursday|Friday|Saturday|Sunday)(?:\s+(morning|afternoon|evening|night))?\b|"
                       r"\b(yesterday|today|last night|tonight|overnight)\b", re.IGNORECASE)
_NUMBER = re.compile(
    r"(?<![\w.,/-])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(mn|bn|million|billion|thousand|m|k)\b)?"
    r"(\s?(?:%|per\s?cent\b|percent\b|pc\b))?"
    r"(\s?(?:km²|km2|sq\.?\s?km|square\s+kilometres|square\s+kilometers|km\b|kilometres\b|kilometers\b|"
    r"metres\b|meters\b|hectares\b|dunums\b))?", re.IGNORECASE)
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
                 "forty": 40, "fifty": 50, "hundred": 100, "a hundred": 100, "dozens": None, "hundreds": None,
                 "thousands": None, "tens of thousands": None, "hundreds of thousands": None}
_WORD_NUMBER = re.compile(r"\b(tens of thousands|hundreds of thousands|a hundred|dozens|hundreds|thousands|"
                          r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
                          r"thirty|forty|fifty)\s+(?=(?:of\s+)?[a-z])", re.IGNORECASE)
_QUALIFIER = re.compile(r"(more than|over|at least|about|around|nearly|almost|some|up to|fewer than|less than|"
                        r"approximately|roughly|an estimated|estimated|close to|as many as|only|just over|"
                        r"just under|under|a further|another)\s+$", re.IGNORECASE)
_MULT = {"mn": 1e6, "m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9, "thousand": 1e3, "k": 1e3}
_STOP = {"in", "on", "at", "since", "and", "or", "were", "was", "are", "is", "have", "has", "had", "to", "from",
         "by", "with", "for", "as", "that", "which", "who", "when", "while", "after", "before", "during", "across",
         "into", "over", "according", "said", "says", "a", "an", "but", "than", "this", "these", "their", "its",
         "will", "would", "could", "be", "been", "being", "per", "each", "every", "more", "so", "far", "out",
         "last", "this", "next", "ago", "earlier", "later", "between", "under", "near", "inside", "outside"}
_PARTICIPLES = {"killed", "injured", "wounded", "displaced", "destroyed", "damaged", "detained", "arrested",
                "released", "freed", "evacuated", "sheltering", "missing", "dead", "hit", "struck", "received",
                "delivered", "entered", "crossed", "held", "taken", "affected", "ordered"}
_ID_BEFORE = re.compile(r"\b(?:blocks?|resolution|no\.?|number|route|road|zone|page|flight|article|"
                        r"grid|id|code)\s*(?:\d+\s*(?:,|and)\s*)*$", re.IGNORECASE)


def _resolve_day_month(day: int, month: int, year: int | None, report: date | None) -> str | None:
    if year is None and report is not None:
        year = report.year
        try:
            if date(year, month, day) > report + timedelta(days=31):
                year -= 1
        except ValueError:
            return None
    if year is None:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _dates(text: str, report: date | None, spans: list[tuple[int, int]]) -> list[dict[str, Any]]:
    out = []
    for m in _DATE_DM.finditer(text):
        iso = _resolve_day_month(int(m.group(1)), _MONTHS[m.group(2)[:3].lower()],
                                 int(m.group(3)) if m.group(3) else None, report)
        out.append((m.start(), m.end(), iso, "day-month"))
    for m in _DATE_MD.finditer(text):
        if any(a < m.end() and m.start() < b for a, b, *_ in out):
            continue
        iso = _resolve_day_month(int(m.group(2)), _MONTHS[m.group(1)[:3].lower()],
                                 int(m.group(3)) if m.group(3) else None, report)
        out.append((m.start(), m.end(), iso, "month-day"))
    for m in _DATE_ISO.finditer(text):
        try:
            iso = date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            continue
        out.append((m.start(), m.end(), iso, "iso"))
    for m in _DATE_REL.finditer(text):
        if any(a < m.end() and m.start() < b for a, b, *_ in out):
            continue
        iso = None
        if report is not None:
            if m.group(1):
                wd = _WEEKDAYS.index(m.group(1).lower())
                lead = m.group(0).lower()
                back = (report.weekday() - wd) % 7
                if lead.startswith("last ") and back == 0:
                    back = 7
                if lead.startswith("next "):
                    back = -((wd - report.weekday()) % 7 or 7)
                iso = (report - timedelta(days=back)).isoformat()
            else:
                word = m.group(3).lower()
                delta = 1 if word in ("yesterday", "last night", "overnight") else 0
                iso = (report - timedelta(days=delta)).isoformat()
        out.append((m.start(), m.end(), iso, "relative"))
    recs = []
    for a, b, iso, how in sorted(out):
        si = _sentence_of(spans, a)
        sa, sb = spans[si] if spans else (0, len(text))
        recs.append({"kind": "date", "text": text[a:b], "value": iso, "qualifier": None, "unit": "date",
                     "counts": "date" if iso else "date (no report date to resolve it)", "start": a, "end": b,
                     "sentence_index": si, "sentence": text[sa:sb], "how": how})
    return recs


def _what_follows(text: str, pos: int) -> tuple[str, int]:
    """The short noun phrase after a number ("people killed", "trucks of aid"), and where it ends."""
    m = re.match(r"[\s\-]*((?:[A-Za-z][\w'’\-]*[ \t]*){1,8})", text[pos:pos + 90])
    if not m:
        return "", pos
    words = m.group(1).split()
    kept: list[str] = []
    i = 0
    while i < len(words) and len(kept) < 4:
        w = words[i].strip(",.;:")
        wl = w.lower()
        if wl == "of" and kept and i + 1 < len(words):
            nxt = [x.strip(",.;:") for x in words[i + 1:i + 4]]
            k = 0
            tail = ["of"]
            while k < len(nxt) and nxt[k].lower() in ("the", "a", "an"):
                tail.append(nxt[k])
                k += 1
            if k < len(nxt) and nxt[k].lower() not in _STOP:
                tail.append(nxt[k])
                kept.extend(tail)
                i += 1 + k + 1
                if words[i - 1][-1:] in ",.;:":
                    break
                continue
            break
        if wl in _STOP or not w:
            break
        if kept and wl not in _PARTICIPLES and (len(kept) > 1 or not w[:1].islower() or wl.endswith(("ed", "ing"))
                                                or kept[-1].lower() == "of" or kept[-1].lower() in _PARTICIPLES):
            break
        kept.append(w)
        if words[i][-1:] in ",.;:":
            break
        i += 1
    # Drop a trailing participle-less verb form ("trucks entered" keeps both: both are informative).
    phrase = " ".join(kept)
    end = pos + text[pos:].find(phrase) + len(phrase) if phrase else pos
    return phrase, end


def _figures(text: str, spans: list[tuple[int, int]], dates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    date_spans = [(d["start"], d["end"]) for d in dates]
    out = []
    number_spans: list[tuple[int, int]] = []
    candidates = [(m.start(), m.end(), m) for m in _NUMBER.finditer(text)]
    candidates += [(m.start(), m.end(), m) for m in _WORD_NUMBER.finditer(text)]
    for a, b, m in sorted(candidates, key=lambda x: x[0]):
        if any(x <= a < y for x, y in date_spans):
            continue
        if any(x <= a < y for x, y in number_spans):
            continue
        number_spans.append((a, b))
        raw = m.group(1)
        si = _sentence_of(spans, a)
        sa, sb = spans[si] if spans else (0, len(text))
        if m.re is _WORD_NUMBER:
            if re.match(r"\s*(?:more\s+|other\s+|previous\s+|past\s+)?(?:days?|weeks?|months?|years?|hours?|"
                        r"minutes?|times?|nights?)\b", text[b:b + 25]) or \
                    re.search(r"\b(?:one|two|three)\s+(?:of|or)\b", text[a:a + 12]):
                continue  # durations and "one of": not figures
            value = _WORD_NUMBERS[raw.lower()]
            mult, pct, unit_area = None, None, None
        else:
            value = float(raw.replace(",", ""))
            mult = (m.group(2) or "").lower() or None
            pct = m.group(3)
            unit_area = m.group(4)
            if mult in ("m", "k") and not re.match(r"\s?[mk]\b", text[a + len(raw):b]):
                mult = None
            if mult:
                value *= _MULT[mult]
            before = text[max(sa, a - 40):a]
            if _ID_BEFORE.search(before) or re.search(r"[:#]\s*$", before):
                continue
            if not (mult or pct or unit_area) and re.fullmatch(r"(19|20)\d\d", raw):
                continue  # a year
            if re.match(r"\s*(?:am|pm|a\.m\.|p\.m\.|GMT|UTC|hours|hrs|:\d)", text[b:b + 6]):
                continue  # a time
        q = _QUALIFIER.search(text[max(sa, a - 25):a])
        qualifier = q.group(1).lower() if q else None
        kind = "count"
        unit = None
        counts, end = _what_follows(text, b)
        if pct:
            kind, unit = "percent", "per cent"
            tail = re.match(r"\s*(of\s+(?:the\s+|its\s+|their\s+|an\s+estimated\s+)?(?:[A-Z][\w\-]*['’]s\s+)?"
                            r"[\w.]+(?:,\d{3})*(?:\s+[a-z]+){0,2})",
                            text[b:b + 60])
            if tail:
                words = tail.group(1).split()
                while len(words) > 2 and words[-1].lower() in _STOP:
                    words.pop()
                counts = " ".join(words).split(",")[0].rstrip(".") if not re.match(r"of\s+\d", " ".join(words)) \
                    else " ".join(words).rstrip(",.")
                end = b + text[b:].find(counts) + len(counts)
            else:
                end = b
        elif unit_area:
            kind, unit = "area", unit_area.strip()
        elif counts:
            unit = counts.split()[0].lower()
        if mult and kind == "count" and re.match(r"(?:people|population|residents|inhabitants|palestinians)",
                                                 counts.lower() or "x"):
            kind = "population"
        elif kind == "count" and counts.lower().startswith(("population", "people")) and value and value >= 1e5:
            kind = "population"
        if kind == "count" and not counts:
            # "the death toll rose to 15,200": name what it counts from the words before it.
            lead = re.search(r"\b((?:[a-z]+\s+){1,3})(?:rose|rises|climbed|reached|stood|stands|is|was|of|at|to)\s+"
                             r"(?:to\s+|at\s+)?(?:" + (qualifier or "") + r"\s*)?$",
                             text[max(sa, a - 60):a])
            counts = lead.group(1).strip() if lead else ""
            if not counts:
                nouns = re.findall(r"\b(death toll|toll|killed|dead|injured|wounded|displaced|trucks|people|families|"
                                   r"patients|hostages|population|targets|strikes)\b", text[max(sa, a - 80):a])
                counts = nouns[-1] if nouns else ""
        if re.match(r"\s*(?:Israeli|Palestinian)?\s*(?:shekels?|dollars?|US\$|\$|euros?)", text[b:b + 20]) or \
                re.search(r"(?:\$|US\$|USD|€|£)\s*$", text[max(sa, a - 4):a]):
            kind = "money"
        out.append({"kind": kind, "text": text[(a - len(q.group(0))) if q else a:max(end, b)].strip(),
                    "value": value, "qualifier": qualifier, "unit": unit, "counts": counts,
                    "start": a, "end": max(end, b), "sentence_index": si, "sentence": text[sa:sb]})
    return out


# ----------------------------------------------------------------------------- public API


def find_mentions(text: str, report_date: date | str | None = None, *,
                  index: GazetteerIndex | None = None) -> dict[str, Any]:
    """The places, outside places, unmatched names and figures ``text`` states.

    Returns ``{"mentions": [...], "outside": [...], "unmatched": [...], "figures": [...],
    "places": [...], "sentences": n, "report_date": ISO or None}``. ``mentions`` are places inside
    Gaza (drawn on the map; regions are areas), ``outside`` places outside Gaza (listed, not drawn),
    each with the name as written, place id, sentence and character offsets ``start``/``end`` into
    ``text``. ``places`` summarises each place once (count, sentence indexes).
    """
    idx = index or get_index()
    report = optional_date(report_date)
    spans = split_sentences(text)
    found, consumed = _match_places(idx, text, spans)
    dates = _dates(text, report, spans)
    figures = sorted(_figures(text, spans, dates) + dates, key=lambda f: f["start"])
    for f in figures:
        f["places"] = sorted({m["place_id"] for m in found if m["sentence_index"] == f["sentence_index"]})
    summary: dict[str, dict[str, Any]] = {}
    for m in found:
        s = summary.setdefault(m["place_id"], {k: m[k] for k in ("place_id", "name_en", "name_ar", "kind",
                                                                    "inside_gaza", "lon", "lat")}
                               | {"count": 0, "names": [], "sentences": []})
        s["count"] += 1
        if m["name"] not in s["names"]:
            s["names"].append(m["name"])
        if m["sentence_index"] not in s["sentences"]:
            s["sentences"].append(m["sentence_index"])
    return {
        "report_date": report.isoformat() if report else None,
        "sentences": len(spans),
        "mentions": [m for m in found if m["inside_gaza"]],
        "outside": [m for m in found if not m["inside_gaza"]],
        "unmatched": _unmatched(idx, text, consumed, spans),
        "figures": figures,
        "places": list(summary.values()),
    }


def place_geometries(place_ids: list[str], *, index: GazetteerIndex | None = None) -> gpd.GeoDataFrame:
    """The places layer rows for ``place_ids`` (regions keep their polygons)."""
    idx = index or get_index()
    p = idx.places
    return p[p["place_id"].isin(place_ids)].copy()


# ----------------------------------------------------------------------------- text from files


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style", "noscript", "template"):
            self._skip += 1
        elif tag in ("p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript", "template"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def text_from_file(name: str, data: bytes, *, max_bytes: int = 5_000_000) -> str:
    """Plain text of an uploaded .txt, .md or .html file (HTML tags and scripts dropped)."""
    if len(data) > max_bytes:
        raise InputError(f"text file is larger than {max_bytes // 1_000_000} MB", file=name,
                         fix="paste the part of the report you need")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1256")
        except UnicodeDecodeError as exc:
            raise InputError("not UTF-8 text", file=name, fix="save the file as UTF-8") from exc
    suffix = Path(name).suffix.lower()
    if suffix not in (".txt", ".md", ".markdown", ".html", ".htm", ""):
        raise InputError(f"unsupported file type {suffix!r}", file=name, fix="upload .txt, .md or .html")
    if suffix in (".html", ".htm") or re.match(r"\s*<(?:!doctype|html)", text, re.IGNORECASE):
        p = _TextOnly()
        p.feed(text)
        text = html.unescape("".join(p.parts))
        text = re.sub(r"[ \t]+", " ", text)
        text = re.sub(r"\n\s*\n+", "\n\n", text).strip()
    return text


# ----------------------------------------------------------------------------- annotations


def annotations_frame(mentions: list[dict[str, Any]], *, title: str, date: str | None, link: str | None,
                      index: GazetteerIndex | None = None) -> gpd.GeoDataFrame:
    """One row per kept mention, with the place's geometry (a region keeps its polygon)."""
    idx = index or get_index()
    geoms = idx.places.set_index("place_id").geometry
    rows = []
    for i, m in enumerate(mentions, 1):
        if m["place_id"] not in geoms.index:
            continue
        rows.append({"annotation_id": i, "place_id": m["place_id"], "name": m["name"],
                     "name_en": idx.by_id[m["place_id"]]["name_en"], "kind": idx.by_id[m["place_id"]]["kind"],
                     "sentence": m.get("sentence", ""), "start": int(m.get("start", -1)),
                     "end": int(m.get("end", -1)), "title": title, "date": date or None, "link": link or None,
                     "geometry": geoms.loc[m["place_id"]]})
    cols = ["annotation_id", "place_id", "name", "name_en", "kind", "sentence", "start", "end", "title", "date",
            "link", "geometry"]
    return gpd.GeoDataFrame(rows, columns=cols, geometry="geometry", crs=4326)


def save_annotations(mentions: list[dict[str, Any]], *, title: str, date: str | None = None,
                     link: str | None = None, root: str | Path | None = None) -> dict[str, Any]:
    """Keep ``mentions`` as an annotation layer in the workspace; returns its manifest entry."""
    if not str(title or "").strip():
        raise InputError("an annotation layer needs a title", field="title", fix="type the report's title")
    if date:
        date = parse_date(date).isoformat()
    gdf = annotations_frame(mentions, title=str(title).strip(), date=date, link=link)
    if gdf.empty:
        raise InputError("no mention selected: nothing to keep", fix="select at least one mention")
    return workspace.save_layer(f"annotations-{title}", gdf, origin=link or str(title),
                                meta={"kind": "annotations", "title": str(title).strip(), "date": date,
                                      "link": link, "places": sorted(set(gdf["place_id"]))}, root=root)


# ----------------------------------------------------------------------------- command line


def cli(args: argparse.Namespace) -> int:
    """``python -m pipeline places FILE [--date D]``: print mentions and figures as JSON."""
    path = Path(args.file)
    if not path.exists():
        raise InputError("file not found", file=str(path))
    text = text_from_file(path.name, path.read_bytes())
    result = find_mentions(text, report_date=args.date)
    keep = ("name", "place_id", "name_en", "kind", "inside_gaza", "pcode", "start", "end", "sentence_index",
            "sentence")
    out = {
        "file": path.name,
        "report_date": result["report_date"],
        "sentences": result["sentences"],
        "mentions": [{k: m[k] for k in keep} for m in result["mentions"]],
        "outside": [{k: m[k] for k in keep} for m in result["outside"]],
        "unmatched": result["unmatched"],
        "figures": result["figures"],
    }
    print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    return 0
