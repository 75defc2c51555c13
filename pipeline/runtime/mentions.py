"""Place mentions in a text: every gazetteer name a report contains, with its sentence and offsets.

:func:`find_mentions` reads a report: every gazetteer name it contains (longest name wins, so
"Rafah crossing" is the crossing and "east of Khan Younis" the region), with its sentence and
character offsets; places outside Gaza listed apart; capitalised names after "in", "near", ...
that match nothing listed as unmatched (never guessed onto the map); and the figures it states
(:mod:`pipeline.runtime.figures`), each with the places in its sentence. Arabic proclitics
(و ب ل ف ك) before a name are understood. :func:`annotations_frame` and :func:`save_annotations`
keep chosen mentions as a workspace layer. Every function takes the gazetteer index first.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
from rapidfuzz import fuzz

from pipeline.core import settings
from pipeline.core.dates import optional_date, to_date
from pipeline.core.errors import InputError
from pipeline.core.names import ARABIC_LETTER, ARTICLES, normalize, tokens
from pipeline.runtime import workspace
from pipeline.runtime.figures import extract_figures
from pipeline.runtime.place_search import GazetteerIndex, search
from pipeline.runtime.sentences import Span, sentence_of, split_sentences

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


def _prev_word(text: str, start: int, floor: int) -> tuple[str, str]:
    """(the word right before ``start`` within the sentence, the gap between them)."""
    m = re.search(r"([\w'’\-]+)([\s\-]*)$", text[floor:start])
    if not m:
        return "", text[floor:start]
    return m.group(1), m.group(2)


def _mention_record(idx: GazetteerIndex, pid: str, text: str, a: int, b: int, spans: list[Span],
                    alias: str) -> dict[str, Any]:
    p = idx.by_id[pid]
    si = sentence_of(spans, a)
    sa, sb = spans[si] if spans else (0, len(text))
    return {"name": text[a:b], "place_id": pid, "name_en": p["name_en"], "name_ar": p["name_ar"],
            "kind": p["kind"], "inside_gaza": p["inside_gaza"], "pcode": p["pcode"], "start": a, "end": b,
            "sentence_index": si, "sentence": text[sa:sb], "lon": p["lon"], "lat": p["lat"], "matched_alias": alias}


def _match_places(idx: GazetteerIndex, text: str, spans: list[Span]
                  ) -> tuple[list[dict[str, Any]], list[Span]]:
    toks = tokens(text)
    found: list[dict[str, Any]] = []
    consumed: list[Span] = []
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
            spans: list[Span]) -> bool:
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
        si = sentence_of(spans, a)
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


def _unmatched(idx: GazetteerIndex, text: str, consumed: list[Span], spans: list[Span]
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
        si = sentence_of(spans, a)
        floor = spans[si][0] if spans else 0
        prev, gap = _prev_word(text, a, floor)
        words = [w for w in re.split(r"[\s\-]+", name) if w]
        if words[0].lower() in _NOT_PLACES or all(w.lower() in _NOT_PLACES for w in words):
            continue
        key = normalize(name)
        if key in seen or len(key) < 3:
            continue
        locative = prev.lower() in _LOCATIVE and "\n" not in gap
        hits = search(idx, name, limit=1) if (locative or len(key) >= 5) else []
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


# ----------------------------------------------------------------------------- public API


def _summarise(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each place named once: its details, how often and how it is named, in which sentences."""
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
    return list(summary.values())


def find_mentions(idx: GazetteerIndex, text: str, report_date: date | str | None = None) -> dict[str, Any]:
    """The places, outside places, unmatched names and figures ``text`` states.

    Returns ``{"mentions": [...], "outside": [...], "unmatched": [...], "figures": [...],
    "places": [...], "sentences": n, "report_date": ISO or None, "chars", "chars_read", "cut"}``.
    Only the first ``max_report_chars`` characters are read (the cost grows with the text); ``cut`` is
    then the sentence saying so, else None. ``mentions`` are places inside
    Gaza (drawn on the map; regions are areas), ``outside`` places outside Gaza (listed, not drawn),
    each with the name as written, place id, sentence and character offsets ``start``/``end`` into
    ``text``. ``places`` summarises each place once (count, sentence indexes).
    """
    report = optional_date(report_date)
    cap = settings.get(settings.MAX_REPORT_CHARS)
    full = len(text)
    if full > cap:  # offsets stay valid: the text read is a prefix of the text given
        text = text[:cap]
    spans = split_sentences(text)
    found, consumed = _match_places(idx, text, spans)
    figures = extract_figures(text, spans, report)
    for f in figures:
        f["places"] = sorted({m["place_id"] for m in found if m["sentence_index"] == f["sentence_index"]})
    return {
        "report_date": report.isoformat() if report else None,
        "chars": full,
        "chars_read": len(text),
        "cut": (f"only the first {cap:,} of {full:,} characters were read ({settings.MAX_REPORT_CHARS.name}, "
                f"{settings.MAX_REPORT_CHARS.env}): paste the rest separately") if full > cap else None,
        "sentences": len(spans),
        "mentions": [m for m in found if m["inside_gaza"]],
        "outside": [m for m in found if not m["inside_gaza"]],
        "unmatched": _unmatched(idx, text, consumed, spans),
        "figures": figures,
        "places": _summarise(found),
    }


def place_geometries(idx: GazetteerIndex, place_ids: list[str]) -> gpd.GeoDataFrame:
    """The places layer rows for ``place_ids`` (regions keep their polygons)."""
    p = idx.places
    return p[p["place_id"].isin(place_ids)].copy()


# ----------------------------------------------------------------------------- annotations


def annotations_frame(idx: GazetteerIndex, mentions: list[dict[str, Any]], *, title: str, date: str | None,
                      link: str | None) -> gpd.GeoDataFrame:
    """One row per kept mention, with the place's geometry (a region keeps its polygon)."""
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


def save_annotations(idx: GazetteerIndex, mentions: list[dict[str, Any]], *, title: str, date: str | None = None,
                     link: str | None = None, root: str | Path | None = None) -> dict[str, Any]:
    """Keep ``mentions`` as an annotation layer in the workspace; returns its manifest entry."""
    if not str(title or "").strip():
        raise InputError("an annotation layer needs a title", field="title", fix="type the report's title")
    if date:
        date = to_date(date, "date").isoformat()
    gdf = annotations_frame(idx, mentions, title=str(title).strip(), date=date, link=link)
    if gdf.empty:
        raise InputError("no mention selected: nothing to keep", fix="select at least one mention")
    return workspace.save_layer(f"annotations-{title}", gdf, origin=link or str(title),
                                meta={"kind": "annotations", "title": str(title).strip(), "date": date,
                                      "link": link, "places": sorted(set(gdf["place_id"]))}, root=root)
