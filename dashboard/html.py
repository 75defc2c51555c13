"""Escaping helpers: every text field from data passes through here before it reaches HTML.

folium's popups and tooltips insert text as HTML, and some of its templates wrap that HTML in
JavaScript template literals (backticks), so we escape ``& < > " '`` (``html.escape``) and also
the backtick and ``$`` (which could open a ``${...}`` expression inside a template literal).
"""

from __future__ import annotations

import html as _html
import math
import re
from typing import Any
from urllib.parse import urlsplit

_EXTRA = str.maketrans({"`": "&#96;", "$": "&#36;"})


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pandas NA."""
    if value is None:
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isnan(value))
    except (TypeError, ValueError):
        return False


def esc(value: Any, default: str = "") -> str:
    """Escape any value for use as HTML text or an attribute value (quotes included)."""
    if is_missing(value):
        return default
    return _html.escape(str(value), quote=True).translate(_EXTRA)


def safe_url(value: Any) -> str | None:
    """Return the URL if it is an absolute http(s) URL, else None (no javascript:, data: ...)."""
    if is_missing(value):
        return None
    text = str(value).strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return text
    return None


def link(url: Any, text: Any) -> str:
    """An escaped link opening in a new tab; plain escaped text when the URL is not http(s)."""
    u = safe_url(url)
    label = esc(text) or esc(u)
    if u is None:
        return label
    return f'<a href="{esc(u)}" target="_blank" rel="noopener noreferrer">{label}</a>'


def rtl(text: Any, lang: str = "ar") -> str:
    """A right-to-left, direction-isolated span (Arabic by default; the block grid's labels are Hebrew: lang='he')."""
    t = esc(text)
    if not t:
        return ""
    return f'<bdi dir="rtl" lang="{esc(lang)}">{t}</bdi>'


def bidi(text: Any) -> str:
    """Text whose direction the browser decides (mixed-script labels)."""
    t = esc(text)
    return f'<bdi dir="auto">{t}</bdi>' if t else ""


_MD = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|~<>$:="})
_WORD_JOINER = "\u2060"  # invisible, no line break
# GitHub-flavoured markdown links bare URLs and e-mail addresses after escapes are resolved, so no
# backslash stops it: an invisible word joiner inside "https://", "www." and before "@" does.
_AUTOLINK = re.compile(r"(?<=https:)(?=//)|(?<=http:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)


def md(value: Any) -> str:
    """Escape text from data for Streamlit markdown (captions, help tooltips): shown as typed, no markup.

    Backslash-escapes CommonMark punctuation plus ``$`` (LaTeX) and ``:`` (Streamlit's :icon: and :color[]),
    and keeps bare URLs and e-mail addresses from becoming links (a word joiner, invisible, breaks them).
    """
    if is_missing(value):
        return ""
    return _AUTOLINK.sub(_WORD_JOINER, str(value)).translate(_MD)


def fmt_int(value: Any, default: str = "n/a") -> str:
    if is_missing(value):
        return default
    try:
        return f"{int(round(float(value))):,}"
    except (TypeError, ValueError):
        return esc(value)
