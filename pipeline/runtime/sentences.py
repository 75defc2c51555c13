"""Sentence splitting for reports: character spans, so every mention and figure keeps its sentence.

A sentence ends at a line break, or at ``. ! ? ؟`` (with closing quotes and brackets) followed by
white space and a capital, a digit, an opening quote or an Arabic letter, except after a known
abbreviation ("Dr.", "Dec.", "U.N.") or an initial.
"""

from __future__ import annotations

import re

from pipeline.core.names import ARABIC_LETTER

_ABBREV = {"dr", "mr", "mrs", "ms", "st", "no", "approx", "est", "vs", "etc", "e.g", "i.e", "gen", "lt", "col",
           "capt", "sgt", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
           "u.s", "u.k", "u.n", "a.m", "p.m"}

Span = tuple[int, int]


def split_sentences(text: str) -> list[Span]:
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
                starts_sentence = k >= n or nxt == "\n" or nxt.isupper() or nxt.isdigit() or nxt in "\"'“‘(" \
                    or ARABIC_LETTER.match(nxt)
                if starts_sentence and prev not in _ABBREV and not re.fullmatch(r"(?:[a-z]\.)*[a-z]", prev):
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


def _trim(text: str, a: int, b: int) -> Span:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def sentence_of(spans: list[Span], pos: int) -> int:
    """Index of the sentence holding character ``pos`` (the one before it when ``pos`` falls between two)."""
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


def sentence_at(text: str, spans: list[Span], pos: int) -> tuple[int, str]:
    """(sentence index, sentence text) for character ``pos`` of ``text`` split into ``spans``."""
    si = sentence_of(spans, pos)
    sa, sb = spans[si] if spans else (0, len(text))
    return si, text[sa:sb]
