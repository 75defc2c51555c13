"""Figures and dates stated in a report: what each number counts, and which day each date names.

- :func:`find_dates`: "7 October", "Dec 2, 2023", "2023-12-02", and relative days ("on Friday",
  "yesterday", "last night") resolved against the report's date (no report date: no value).
- :func:`find_figures`: counts ("50 trucks of aid", "over 50 targets", "hundreds of families"),
  percentages, populations ("2.3mn"), areas ("6.7 km²") and money, each with its qualifier
  ("more than", "about"), what it counts and its sentence. Years, times, durations ("two days"),
  identifiers ("block 12", "resolution 2720") and date parts are not figures.
- :func:`extract_figures`: both, in text order.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from pipeline.runtime.sentences import Span, sentence_of

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


def _relative_iso(m: re.Match[str], report: date | None) -> str | None:
    """The day a relative date ("on Friday", "last night") names, counted back from ``report``."""
    if report is None:
        return None
    if m.group(1):
        wd = _WEEKDAYS.index(m.group(1).lower())
        lead = m.group(0).lower()
        back = (report.weekday() - wd) % 7
        if lead.startswith("last ") and back == 0:
            back = 7
        if lead.startswith("next "):
            back = -((wd - report.weekday()) % 7 or 7)
        return (report - timedelta(days=back)).isoformat()
    word = m.group(3).lower()
    delta = 1 if word in ("yesterday", "last night", "overnight") else 0
    return (report - timedelta(days=delta)).isoformat()


def _overlaps(found: list[tuple[int, int, str | None, str]], m: re.Match[str]) -> bool:
    return any(a < m.end() and m.start() < b for a, b, *_ in found)


def _date_spans(text: str, report: date | None) -> list[tuple[int, int, str | None, str]]:
    """(start, end, ISO date or None, how it was written) for each date in ``text``, in text order."""
    out: list[tuple[int, int, str | None, str]] = []
    for m in _DATE_DM.finditer(text):
        iso = _resolve_day_month(int(m.group(1)), _MONTHS[m.group(2)[:3].lower()],
                                 int(m.group(3)) if m.group(3) else None, report)
        out.append((m.start(), m.end(), iso, "day-month"))
    for m in _DATE_MD.finditer(text):
        if _overlaps(out, m):
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
        if _overlaps(out, m):
            continue
        out.append((m.start(), m.end(), _relative_iso(m, report), "relative"))
    return sorted(out)


def find_dates(text: str, report: date | None, spans: list[Span]) -> list[dict[str, Any]]:
    """The dates ``text`` names, as figure records of kind ``date`` (``value``: ISO date or None)."""
    recs = []
    for a, b, iso, how in _date_spans(text, report):
        si = sentence_of(spans, a)
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


# ----------------------------------------------------------------------------- figures


def _word_number(text: str, a: int, b: int, raw: str) -> tuple[int | None, None, None, None] | None:
    """"fifty trucks" -> (50, ...); None for durations ("two days") and "one of"."""
    if re.match(r"\s*(?:more\s+|other\s+|previous\s+|past\s+)?(?:days?|weeks?|months?|years?|hours?|"
                r"minutes?|times?|nights?)\b", text[b:b + 25]) or \
            re.search(r"\b(?:one|two|three)\s+(?:of|or)\b", text[a:a + 12]):
        return None
    return _WORD_NUMBERS[raw.lower()], None, None, None


def _digit_number(text: str, a: int, b: int, m: re.Match[str], sa: int
                  ) -> tuple[float, str | None, str | None, str | None] | None:
    """(value, multiplier, percent sign, area unit) of a written number; None for ids, years and times."""
    raw = m.group(1)
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
        return None
    if not (mult or pct or unit_area) and re.fullmatch(r"(19|20)\d\d", raw):
        return None  # a year
    if re.match(r"\s*(?:am|pm|a\.m\.|p\.m\.|GMT|UTC|hours|hrs|:\d)", text[b:b + 6]):
        return None  # a time
    return value, mult, pct, unit_area


def _percent_counts(text: str, b: int, follows: str) -> tuple[str, int]:
    """What a percentage is of ("of the 2.3mn population"), and where that ends (else ``follows``, at ``b``)."""
    tail = re.match(r"\s*(of\s+(?:the\s+|its\s+|their\s+|an\s+estimated\s+)?(?:[A-Z][\w\-]*['’]s\s+)?"
                    r"[\w.]+(?:,\d{3})*(?:\s+[a-z]+){0,2})",
                    text[b:b + 60])
    if not tail:
        return follows, b
    words = tail.group(1).split()
    while len(words) > 2 and words[-1].lower() in _STOP:
        words.pop()
    counts = " ".join(words).split(",")[0].rstrip(".") if not re.match(r"of\s+\d", " ".join(words)) \
        else " ".join(words).rstrip(",.")
    return counts, b + text[b:].find(counts) + len(counts)


def _counts_before(text: str, a: int, sa: int, qualifier: str | None) -> str:
    """"the death toll rose to 15,200": name what a bare number counts from the words before it."""
    lead = re.search(r"\b((?:[a-z]+\s+){1,3})(?:rose|rises|climbed|reached|stood|stands|is|was|of|at|to)\s+"
                     r"(?:to\s+|at\s+)?(?:" + (qualifier or "") + r"\s*)?$",
                     text[max(sa, a - 60):a])
    if lead:
        return lead.group(1).strip()
    nouns = re.findall(r"\b(death toll|toll|killed|dead|injured|wounded|displaced|trucks|people|families|"
                       r"patients|hostages|population|targets|strikes)\b", text[max(sa, a - 80):a])
    return nouns[-1] if nouns else ""


def _is_money(text: str, a: int, b: int, sa: int) -> bool:
    return bool(re.match(r"\s*(?:Israeli|Palestinian)?\s*(?:shekels?|dollars?|US\$|\$|euros?)", text[b:b + 20]) or
                re.search(r"(?:\$|US\$|USD|€|£)\s*$", text[max(sa, a - 4):a]))


def _kind_and_counts(text: str, a: int, b: int, sa: int, number: tuple[Any, ...], qualifier: str | None
                     ) -> tuple[str, str | None, str, int]:
    """(kind, unit, what it counts, end of the figure's text) for the number at ``a``-``b``."""
    value, mult, pct, unit_area = number
    kind = "count"
    unit = None
    counts, end = _what_follows(text, b)
    if pct:
        kind, unit = "percent", "per cent"
        counts, end = _percent_counts(text, b, counts)
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
        counts = _counts_before(text, a, sa, qualifier)
    if _is_money(text, a, b, sa):
        kind = "money"
    return kind, unit, counts, end


def _number_candidates(text: str, date_spans: list[Span]) -> list[tuple[int, int, re.Match[str]]]:
    """Numbers in digits and in words, in text order, that are not part of a date or of an earlier number."""
    candidates = [(m.start(), m.end(), m) for m in _NUMBER.finditer(text)]
    candidates += [(m.start(), m.end(), m) for m in _WORD_NUMBER.finditer(text)]
    taken: list[Span] = []
    out = []
    for a, b, m in sorted(candidates, key=lambda x: x[0]):
        if any(x <= a < y for x, y in date_spans) or any(x <= a < y for x, y in taken):
            continue
        taken.append((a, b))
        out.append((a, b, m))
    return out


def find_figures(text: str, spans: list[Span], dates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The figures ``text`` states (not its ``dates``), each with kind, value, qualifier, unit and what it counts."""
    out = []
    for a, b, m in _number_candidates(text, [(d["start"], d["end"]) for d in dates]):
        si = sentence_of(spans, a)
        sa, sb = spans[si] if spans else (0, len(text))
        number = _word_number(text, a, b, m.group(1)) if m.re is _WORD_NUMBER else _digit_number(text, a, b, m, sa)
        if number is None:
            continue
        q = _QUALIFIER.search(text[max(sa, a - 25):a])
        qualifier = q.group(1).lower() if q else None
        kind, unit, counts, end = _kind_and_counts(text, a, b, sa, number, qualifier)
        out.append({"kind": kind, "text": text[(a - len(q.group(0))) if q else a:max(end, b)].strip(),
                    "value": number[0], "qualifier": qualifier, "unit": unit, "counts": counts,
                    "start": a, "end": max(end, b), "sentence_index": si, "sentence": text[sa:sb]})
    return out


def extract_figures(text: str, spans: list[Span], report: date | None) -> list[dict[str, Any]]:
    """Figures and dates of ``text`` together, in text order (dates resolved against ``report``)."""
    dates = find_dates(text, report, spans)
    return sorted(find_figures(text, spans, dates) + dates, key=lambda f: f["start"])
