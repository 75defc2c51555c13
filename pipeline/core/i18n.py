"""Translations: gettext message catalogues (``pipeline/locale/<lang>/LC_MESSAGES/messages.po``) read with babel.

English is the source language: a message's id is its English text, so code reads as English and an
untranslated message falls back to it. ``translate(text, lang)`` returns the catalogue's text for
``lang``; ``N_`` marks a module-level string for extraction without translating it (translate it where it
is shown). Messages may hold ``{name}`` fields, filled after translation (``translate(...).format(...)``),
so a translator can move them within the sentence.

A translator edits the ``.po`` file with any PO editor (Poedit, Weblate, a text editor); ``bash scripts/i18n``
extracts the messages from the code again and merges them into each catalogue (``pybabel extract`` and
``pybabel update``). ``tests/test_i18n.py`` fails when a message in the code has no Arabic translation.

Dates and numbers in Arabic follow one convention, stated on the Method page: Gregorian month names as used
in Palestine (CLDR ``ar_PS``: كانون الأول for December), Western digits (0-9), grouped with commas
(``1,234``), percentages as ``26%``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache, partial
from pathlib import Path

from babel.dates import format_date, get_month_names
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
LANGUAGES = {"en": "English", "ar": "العربية"}
DEFAULT = "en"
RIGHT_TO_LEFT = frozenset({"ar"})
BABEL_LOCALE = {"en": "en_GB", "ar": "ar_PS"}


def N_(text: str) -> str:  # noqa: N802 (gettext's name for "mark, do not translate")
    """Mark ``text`` for extraction; it is translated where it is shown."""
    return text


def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=8)
def catalogue(lang: str) -> dict[str, str]:
    """``{English: translation}`` for ``lang`` (fuzzy and empty entries left out); empty for English."""
    path = catalogue_path(lang)
    if lang == DEFAULT or not path.exists():
        return {}
    with path.open("rb") as fh:
        cat = read_po(fh, locale=lang)
    return {str(m.id): str(m.string) for m in cat if m.id and isinstance(m.id, str) and m.string
            and not m.fuzzy}


def normalise(lang: object) -> str:
    """A supported language code from a URL value (``ar``, ``AR``, ``ar-PS``), else English."""
    code = str(lang or "").strip().lower()[:2]
    return code if code in LANGUAGES else DEFAULT


def translate(text: str, lang: str) -> str:
    """``text`` (English) in ``lang``; the English when the catalogue has no translation."""
    if lang == DEFAULT:
        return text
    return catalogue(lang).get(text, text)


def translator(lang: str) -> Callable[[str], str]:
    """``_`` for code that is given a language instead of reading the session's: ``_ = translator(lang)``."""
    return partial(translate, lang=lang)


LRI, PDI = "\u2066", "\u2069"  # left-to-right isolate: a Latin name inside an Arabic line keeps its own order
_LATIN = re.compile("[A-Za-z]")


def isolate(text: str) -> str:
    """``text`` as a left-to-right isolate when it holds Latin letters (for plain text in right-to-left lines)."""
    return f"{LRI}{text}{PDI}" if _LATIN.search(text) and not text.startswith(LRI) else text


def is_rtl(lang: str) -> bool:
    return lang in RIGHT_TO_LEFT


def date_text(d: date, lang: str, *, year: bool = True) -> str:
    """``5 Dec 2023`` in English; ``5 كانون الأول 2023`` in Arabic (Western digits)."""
    if lang == DEFAULT:
        return f"{d:%-d %b %Y}" if year else f"{d:%-d %b}"
    return format_date(d, "d MMMM y" if year else "d MMMM", locale=BABEL_LOCALE[lang])


def month_names(lang: str) -> list[str]:
    """The twelve month names, January first, as :func:`date_text` writes them (CLDR ``ar_PS`` in Arabic)."""
    names = get_month_names("wide", locale=BABEL_LOCALE.get(lang, "en_GB"))
    return [str(names[m]) for m in range(1, 13)]


def number_text(value: float, lang: str, *, digits: int = 0) -> str:
    """A grouped number (``1,234`` / ``12.5``) in the language's convention, Western digits."""
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=fmt, locale=BABEL_LOCALE.get(lang, "en_GB"), numbering_system="latn")
