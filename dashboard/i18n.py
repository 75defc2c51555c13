"""The session's language: the switch in the sidebar, kept in the URL (``?lang=ar``), and ``_()`` for text.

``_("Area under orders")`` returns the text in the session's language from the catalogues that
:mod:`pipeline.core.i18n` reads; ``{name}`` fields are filled after translation
(``_("Block {id}").format(id=...)``). The language comes from the URL, then English; the switch writes
it back to the URL so a shared link opens in the same language. In a right-to-left language the page is
laid out right to left by the browser: ``direction: rtl`` on Streamlit's containers and ``dir="rtl"`` on
the project's own HTML (:func:`dir_attr`); text from data and numbers inside it are direction-isolated.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import streamlit as st

from pipeline.core import i18n

LANG = "lang"  # widget key and query parameter


def lang() -> str:
    """The session's language code (``en`` or ``ar``)."""
    code = st.session_state.get(LANG)
    if code is None:
        code = i18n.normalise(st.query_params.get(LANG))
    return i18n.normalise(code)


def _(text: str) -> str:
    """``text`` (English) in the session's language."""
    return i18n.translate(text, lang())


def tr(value: object) -> str:
    """A value held in a variable (a definition, a status word) in the session's language: its English is a
    message marked with ``N_`` where it is defined. (``_(d["key"])`` would make the extractor take "key".)"""
    return i18n.translate(str(value), lang())


def is_rtl() -> bool:
    return i18n.is_rtl(lang())


def iso(text: object) -> str:
    """Plain text from data (a source name, a quoted English phrase) isolated inside a right-to-left line;
    unchanged in English."""
    return i18n.isolate(str(text)) if is_rtl() else str(text)


def date_words(value: Any, code: str | None = None) -> str:
    """A date (``date`` or ISO text) written the session's way (or ``code``'s): ``5 Dec 2023`` / ``5 كانون الأول 2023``."""
    d = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return i18n.date_text(d, code or lang())


def framing_label(f: dict[str, object], code: str | None = None) -> str:
    """A framing of ``pipeline.runtime.metrics.framings`` ("since the block grid (1 Dec 2023)") in the session's
    language, or in ``code`` (a widget's ``format_func`` may run where there is no session: AppTest)."""
    code = code or lang()
    _ = i18n.translator(code)
    if f.get("key") == "grid" and f.get("since"):
        return _("since the block grid ({date})").format(date=date_words(f["since"], code))
    if f.get("key") == "custom" and f.get("since"):
        return _("since {date}").format(date=date_words(f["since"], code))
    return _(str(f.get("label") or ""))


def framing_words(f: dict[str, object]) -> str:
    """The view's framing in words, with ", OCHA's framing for this date" when it is the default (``View.framing``)."""
    return framing_label(f) + (_(", OCHA's framing for this date") if f.get("default") else "")


def missing_mark() -> str | None:
    """What a table (``st.dataframe(placeholder=...)``) shows for a missing value: Streamlit's "None" in English (as
    before), a dash in another language."""
    return None if lang() == i18n.DEFAULT else "—"


def dir_attr() -> str:
    """``dir`` and ``lang`` attributes for the project's own HTML blocks."""
    code = lang()
    return f'dir="{"rtl" if i18n.is_rtl(code) else "ltr"}" lang="{code}"'


def _sync_url() -> None:
    code = i18n.normalise(st.session_state.get(LANG))
    if code == i18n.DEFAULT:
        st.query_params.pop(LANG, None)
    else:
        st.query_params[LANG] = code


def language_switch() -> str:
    """The sidebar's language switch (English / العربية); returns the language."""
    if LANG not in st.session_state:
        st.session_state[LANG] = i18n.normalise(st.query_params.get(LANG))
    st.sidebar.radio("Language / اللغة", list(i18n.LANGUAGES), key=LANG, horizontal=True,
                     format_func=i18n.LANGUAGES.__getitem__, on_change=_sync_url)
    _sync_url()
    return lang()


RTL_CSS = """<style>
[data-testid="stMain"], [data-testid="stSidebar"], [data-testid="stToast"], [data-testid="stDialog"]
  { direction: rtl; text-align: right; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"],
[data-testid="stMain"] [data-testid="stMarkdownContainer"] :is(ul, ol) { text-align: right; }
/* widgets whose values are numbers, dates or codes read left to right inside the right-to-left page */
input[type="number"], [data-testid="stDateInput"] input, [data-testid="stDateInputField"], code, pre
  { direction: ltr; unicode-bidi: isolate; }
/* typed text (a pasted report, a searched name) takes each paragraph's direction from its own letters */
textarea, input[type="text"] { unicode-bidi: plaintext; text-align: start; }
/* the map keeps its own (map) orientation: its legend and popups set dir themselves */
[data-testid="stCustomComponentV1"], iframe, .leaflet-container { direction: ltr; }
/* Vega draws its charts as SVG, where text-anchor start/end follow the direction: keep its own geometry (the
   Arabic text inside still reads right to left); its hover box reads right to left */
[data-testid="stVegaLiteChart"] { direction: ltr; }
#vg-tooltip-element { direction: rtl; text-align: right; }
</style>"""


# Streamlit writes some of its widgets' own words in English whatever the page's language: a file uploader's drop
# zone ("Drag and drop file here", "Limit 200MB per file", "Upload") and an empty date field's placeholders
# ("yyyy/mm/dd"). In another language they are hidden and the stylesheet writes the page's words in their place (a
# pseudo-element: the words are the stylesheet's, so nothing of the widget's own behaviour changes).
WIDGET_WORDS_CSS = """<style>
[data-testid="stFileUploaderDropzoneInstructions"] span,
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::after { content: %(drop)s; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after { content: %(button)s; }
[data-testid="stDateInputField"] [data-placeholder="true"] { font-size: 0; }
[data-testid="stDateInputField"] [data-placeholder="true"]::after { font-size: 0.875rem; }
[data-testid="stDateInputField"] [data-placeholder="true"][data-type="year"]::after { content: %(year)s; }
[data-testid="stDateInputField"] [data-placeholder="true"][data-type="month"]::after { content: %(month)s; }
[data-testid="stDateInputField"] [data-placeholder="true"][data-type="day"]::after { content: %(day)s; }
</style>"""


def widget_words_css() -> str:
    """:data:`WIDGET_WORDS_CSS` with the words in the session's language (JSON quoting is valid CSS quoting)."""
    words = {"drop": _("Drag and drop a file here"), "button": _("Choose a file"), "year": _("year"),
             "month": _("month"), "day": _("day")}
    return WIDGET_WORDS_CSS % {k: json.dumps(v, ensure_ascii=False) for k, v in words.items()}


def apply_direction() -> None:
    """Lay the page out right to left when the language is written that way (no-op in English)."""
    if is_rtl():
        st.html(RTL_CSS + widget_words_css())
