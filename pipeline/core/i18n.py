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

Sentences built from data (an import's reasons, fixes and warnings) are :class:`Message` objects made by
:func:`msg`: a ``str`` holding the English sentence (so the CLI, the JSON report and every ``==`` see English)
that also carries its template and parameters, from which :meth:`Message.render` writes it in another language
(numbers grouped by :func:`number_text`, names and quoted values direction-isolated; the page escapes the
whole sentence)::

    raise InputError(msg(N_("row {row}: {value!r} is not a number"), row=7, value="seven"),
                     fix=msg(N_("write the count in digits")))

``N_`` makes the extractor (``bash scripts/i18n``) find the template. The report holds the Message objects where
it always held strings: they compare equal to the English and ``json.dumps`` writes the English, so report files
and the CLI are unchanged. A sentence that lost its template on the way (a report read back from JSON, a warning
joined into ``"layer: sentence"``) is matched back to its catalogued template by :func:`recognise`, which then
writes it in the other language from the parameters it finds in the English.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
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


# ---------------------------------------------------------------- sentences built from data

Param = str | int | float | bool | None | dict[str, object]


def _param(value: object) -> Param:
    """A parameter as a JSON value: a sentence within the sentence keeps its template (``Message.as_json``),
    a date or an exception becomes its text."""
    if isinstance(value, Message):
        return value.as_json()
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


class Message(str):
    """An English sentence (the ``str`` itself) with the template and parameters it was made from."""

    template: str
    params: dict[str, object]  # as given; :meth:`as_json` writes them as JSON values

    def __new__(cls, template: str, params: dict[str, object] | None = None) -> Message:
        self = super().__new__(cls, template.format_map(params) if params else template)
        self.template = template
        self.params = params or {}
        return self

    def __getnewargs__(self) -> tuple[str, dict[str, object]]:  # type: ignore[override]  # pickles as a Message
        return self.template, self.params

    def as_json(self) -> dict[str, object]:
        return {"template": self.template, "params": {k: _param(v) for k, v in self.params.items()}}

    def render(self, lang: str) -> str:
        """The sentence in ``lang``: the catalogue's template filled with the parameters written for that
        language (numbers grouped, names and quoted values direction-isolated); the English if untranslated."""
        if lang == DEFAULT:
            return str(self)
        target = catalogue(lang).get(self.template)
        if not target:
            return str(self)
        return fill(target, self.params, lang) or str(self)


@lru_cache(maxsize=1024)
def _fixed(template: str) -> Message:
    return Message(template)


def msg(template: str, /, **params: object) -> Message:
    """The sentence ``template.format(**params)`` as a :class:`Message` (mark the template with ``N_``).
    A sentence without parameters is made once and shared (it is immutable)."""
    return Message(template, params) if params else _fixed(template)


def message_from(data: object) -> Message | None:
    """A :class:`Message` from its :meth:`Message.as_json` (a stored report), else None."""
    if isinstance(data, Message):
        return data
    if not isinstance(data, Mapping) or not isinstance(data.get("template"), str):
        return None
    params = data.get("params") or {}
    if not isinstance(params, Mapping):
        return None
    try:
        return Message(str(data["template"]), {str(k): v for k, v in params.items()})
    except (KeyError, IndexError, ValueError, TypeError):
        return None


_FORMATTER = string.Formatter()
_PRECISION = re.compile(r"^,?\.(\d+)f$")


def _shown(value: object, conversion: str | None, spec: str, lang: str, *, written: bool) -> str:
    """One parameter as ``lang`` writes it; ``written`` when it is already text (matched back from English)."""
    if isinstance(value, Message):  # a sentence within the sentence
        return value.render(lang)
    if isinstance(value, dict):  # the same, read back from JSON
        inner = message_from(value)
        return inner.render(lang) if inner is not None else str(value)
    if not written and isinstance(value, (int, float)) and not isinstance(value, bool) and conversion != "r":
        precision = _PRECISION.match(spec)
        if (isinstance(value, int) and spec in ("", ",", "d", ",d")) or spec == "," or precision:
            return number_text(value, lang, digits=int(precision[1]) if precision else 0)
        return format(value, spec)
    text = str(value) if written else format(repr(value) if conversion == "r" else str(value), spec
                                             if isinstance(value, str) else "")
    return isolate(text) if is_rtl(lang) else text


def fill(template: str, params: Mapping[str, object], lang: str, *, written: bool = False) -> str | None:
    """``template`` with its ``{name}`` fields filled for ``lang``; None when a field has no parameter."""
    out = []
    try:
        for literal, name, spec, conversion in _FORMATTER.parse(template):
            out.append(literal)
            if name is not None:
                out.append(_shown(params[name], conversion, spec or "", lang, written=written))
    except (KeyError, ValueError, TypeError):
        return None
    return "".join(out)


_MIN_LITERAL = 8  # a template must hold this many letters of its own to be recognised in a sentence


@lru_cache(maxsize=8)
def _patterns(lang: str) -> tuple[tuple[re.Pattern[str], str, tuple[str, ...]], ...]:
    """(regex of the English sentence, translated template, field names) for the catalogue's templates."""
    found = []
    for english, target in catalogue(lang).items():
        try:
            parts = list(_FORMATTER.parse(english))
        except ValueError:
            continue
        names = tuple(n for _l, n, _s, _c in parts if n is not None)
        literal = "".join(lit for lit, *_rest in parts)
        if not names or len(literal.strip()) < _MIN_LITERAL or not all(n.isidentifier() for n in names):
            continue
        rx, seen = [], set()
        for lit, name, _spec, _conv in parts:
            rx.append(re.escape(lit))
            if name is not None:
                rx.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
                seen.add(name)
        found.append((re.compile("".join(rx) + r"\Z", re.DOTALL), target, names))
    # the most specific templates first (more literal text), so "{n} rows of {file}" loses to a longer match
    found.sort(key=lambda f: -len(f[0].pattern))
    return tuple(found)


def recognise(text: str, lang: str) -> str | None:
    """An English sentence that was made from a catalogued template (its template lost on the way, as in a
    report read back or a line prefixed with its layer's name ``layer: sentence``) written in ``lang``; None
    when no template matches the whole of it."""
    if lang == DEFAULT or not text:
        return None
    prefix, rest = "", text
    while True:
        for rx, target, _names in _patterns(lang):
            if m := rx.match(rest):
                filled = fill(target, m.groupdict(), lang, written=True)
                if filled is not None:
                    return (isolate(prefix[:-2]) + ": " if prefix else "") + filled
        if target_text := catalogue(lang).get(rest):
            return (isolate(prefix[:-2]) + ": " if prefix else "") + target_text
        head, sep, tail = rest.partition(": ")
        if not sep:
            return None
        prefix, rest = prefix + head + sep, tail


def localise(text: object, lang: str, data: object = None) -> str | None:
    """``text`` (a report's English sentence) in ``lang``: from ``data`` (its stored template) or the
    :class:`Message` it is, else matched back to a catalogued template; None when it cannot be translated."""
    if text is None or lang == DEFAULT:
        return None if text is None else str(text)
    m = message_from(data) or (text if isinstance(text, Message) else None)
    if m is not None and catalogue(lang).get(m.template):
        return m.render(lang)
    return recognise(str(text), lang)
