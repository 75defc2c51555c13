"""The dashboard's one escaping policy: every text from data passes through here before it is shown.

Two escapers, one per target; nothing else in the dashboard escapes text:

- :func:`esc` for **HTML**: ``st.html``, folium tooltips, popups, labels and legends, and
  ``st.markdown(..., unsafe_allow_html=True)``. It escapes ``& < > " '`` (``html.escape``) and also the
  backtick and ``$``, because some folium templates wrap that HTML in JavaScript template literals,
  where a backtick ends the string and ``${...}`` runs code. :func:`link`, :func:`rtl` and :func:`bidi`
  build on it.
- :func:`md` for **Streamlit markdown**: ``st.markdown``, ``st.caption``, ``st.info``/``warning``/
  ``error``/``success``, widget labels and ``help=`` tooltips. It backslash-escapes every CommonMark
  punctuation character, plus ``$`` (LaTeX), ``:`` (Streamlit's ``:icon:`` and ``:color[...]``) and ``=``
  (setext headings), so text shows as typed: never a link, an image, markup or formatting.

Tables (``st.dataframe``) show cell values as text and need neither. Missing values (None, NaN, NaT, NA)
come out as an empty string from both.
"""

from __future__ import annotations

import html as _html
import math
import re
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from pipeline.core import i18n

_EXTRA = str.maketrans({"`": "&#96;", "$": "&#36;"})


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pandas NA."""
    if value is None or value is pd.NA:
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isnan(value))
    except (TypeError, ValueError):
        return False


def as_float(value: Any) -> float | None:
    """``float(value)``, or None for a missing value (None, NaN, NaT, pandas NA)."""
    return None if is_missing(value) else float(value)


def esc(value: Any, default: str = "") -> str:
    """Escape any value for use as HTML text or an attribute value (quotes included)."""
    if is_missing(value):
        return default
    return _html.escape(str(value), quote=True).translate(_EXTRA)


def template(text: str) -> str:
    """A message of the project's own (a translated template, filled with :func:`esc`-aped values after) as HTML
    text: ``& < >`` escaped, its apostrophes and quotes kept as written."""
    return _html.escape(text, quote=False).translate(_EXTRA)


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
    """Escape any value for Streamlit markdown (messages, captions, labels, help): shown as typed, no markup.

    Backslash-escapes CommonMark punctuation plus ``$`` (LaTeX), ``:`` (Streamlit's :icon: and :color[])
    and ``=`` (setext headings), and keeps bare URLs and e-mail addresses from becoming links (a word joiner, invisible, breaks them).
    """
    if is_missing(value):
        return ""
    return _AUTOLINK.sub(_WORD_JOINER, str(value)).translate(_MD)


md_escape = md  # the name the upload section used; the same function


def fmt_date(value: Any, lang: str = i18n.DEFAULT) -> str:
    """A date as "2 Dec 2023", in Arabic "2 كانون الأول 2023" (plain text: escape it for its target); "" when missing."""
    if is_missing(value):
        return ""
    try:
        d = pd.Timestamp(value)
    except (TypeError, ValueError):
        return str(value)
    if lang == i18n.DEFAULT:
        return d.strftime("%-d %b %Y")
    return i18n.date_text(d.date(), lang)


def num_unit(text: str) -> str:
    """A number with its unit ("84.3 km²", "5.6%") kept together as one isolated run inside right-to-left HTML."""
    return f"<bdi>{esc(text)}</bdi>"


def fmt_int(value: Any, default: str = "n/a") -> str:
    if is_missing(value):
        return default
    try:
        return f"{int(round(float(value))):,}"
    except (TypeError, ValueError):
        return esc(value)
