"""Name normalisation: the comparison form of a place name, in English, Arabic or a transliteration.

Both sides of every comparison are folded the same way: case, diacritics, apostrophes, hyphens, the
articles "al-"/"el-" (and "ad-", "as-", ... when hyphenated); Arabic tashkeel and tatweel removed,
hamza forms folded, ى -> ي, ة -> ه.
"""

from __future__ import annotations

import re
import unicodedata

ARTICLES = {"al", "el"}
_HYPHEN_ARTICLES = {"a", "ad", "ar", "as", "an", "az", "ash", "at", "adh", "ath", "ed", "es", "et", "ez",
                    "en", "er", "esh", "ul", "aal"}
_APOS = "'’ʼʻʿʾ`‘´"
_ARABIC_FOLD = str.maketrans({"ى": "ي", "ة": "ه", "ء": None, "ـ": None, "\u200e": None, "\u200f": None,
                              "\u200c": None, "\u200d": None, "ٱ": "ا"})
# A word: letters/digits (and combining marks) joined by apostrophes.
_TOKEN = re.compile(r"[^\W_][\w\u0300-\u036f\u064b-\u065f\u0670\u0640]*"
                    r"(?:[" + _APOS + r"][\w\u0300-\u036f\u064b-\u065f\u0670\u0640]+)*", re.UNICODE)
ARABIC_LETTER = re.compile("[\u0600-\u06ff]")


def _fold(token: str) -> str:
    """One token, normalised: no possessive 's, no diacritics/tashkeel/apostrophes, case-folded."""
    t = re.sub(r"[" + _APOS + r"]s$", "", token) if not ARABIC_LETTER.search(token) else token
    t = unicodedata.normalize("NFKD", t)
    t = "".join(c for c in t if not unicodedata.combining(c) and c not in _APOS)
    t = t.translate(_ARABIC_FOLD).casefold()
    return t


def tokens(text: str) -> list[tuple[str, int, int, bool]]:
    """(normalised token, start, end, hyphen_after) for each word of ``text``; articles dropped."""
    out = []
    for m in _TOKEN.finditer(text):
        t = _fold(m.group())
        if not t:
            continue
        hyphen = text[m.end():m.end() + 1] in ("-", "‐", "‑", "–") and m.end() + 1 < len(text)
        if t in ARTICLES or (hyphen and t in _HYPHEN_ARTICLES):
            continue
        out.append((t, m.start(), m.end(), hyphen))
    return out


def normalize(text: str) -> str:
    """The comparison form of a name: folded tokens joined by single spaces."""
    return " ".join(t for t, *_ in tokens(str(text)))


