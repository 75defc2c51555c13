"""Translations: every message in the code has an Arabic translation; fields and catalogue stay consistent."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from pipeline.core import i18n

ROOT = Path(__file__).resolve().parent.parent
FIELD = re.compile(r"\{[a-z_][a-z0-9_]*(?:[:!][^{}]*)?\}")


def code_messages() -> dict[str, str]:
    """``{message: "file:line"}`` extracted from the code as ``bash scripts/i18n`` does (babel.cfg)."""
    method_map = [("app.py", "python"), ("dashboard/**.py", "python"), ("pipeline/**.py", "python")]
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, keywords={"_": None, "N_": None}):
        if isinstance(message, str) and message:
            found.setdefault(message, f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def arabic() -> dict[str, str]:
    with i18n.catalogue_path("ar").open("rb") as fh:
        cat = read_po(fh, locale="ar")
    return {str(m.id): str(m.string) for m in cat if m.id and not m.fuzzy}


def test_every_message_in_the_code_has_an_arabic_translation(arabic: dict[str, str]) -> None:
    messages = code_messages()
    assert len(messages) > 5, "extraction found no messages: is babel.cfg right?"
    missing = {m: where for m, where in messages.items() if not arabic.get(m, "").strip()}
    assert not missing, ("messages without an Arabic translation (run `bash scripts/i18n`, then translate "
                         "the empty entries in pipeline/locale/ar/LC_MESSAGES/messages.po):\n"
                         + "\n".join(f"  {where}: {m!r}" for m, where in sorted(missing.items())[:50]))


def test_translations_keep_their_fields(arabic: dict[str, str]) -> None:
    wrong = {m: s for m, s in arabic.items() if s and sorted(FIELD.findall(m)) != sorted(FIELD.findall(s))}
    assert not wrong, f"a translation lost or renamed a {{field}}: {wrong}"


def test_translations_are_arabic_not_copies(arabic: dict[str, str]) -> None:
    letters = re.compile(r"[\u0600-\u06FF]")
    copies = [m for m, s in arabic.items() if s and not letters.search(FIELD.sub("", s))]
    assert not copies, f"these 'translations' hold no Arabic letter: {copies[:20]}"


def test_translate_falls_back_to_english_and_reads_the_catalogue() -> None:
    assert i18n.translate("Map", "ar") == "الخريطة"
    assert i18n.translate("Map", "en") == "Map"
    assert i18n.translate("a sentence nobody wrote", "ar") == "a sentence nobody wrote"
    assert i18n.normalise("AR") == "ar" and i18n.normalise("ar-PS") == "ar" and i18n.normalise("xx") == "en"


def test_arabic_dates_and_numbers_follow_the_stated_convention() -> None:
    assert i18n.date_text(date(2023, 12, 5), "ar") == "5 كانون الأول 2023"
    assert i18n.date_text(date(2023, 12, 5), "en") == "5 Dec 2023"
    assert i18n.number_text(1234567, "ar") == "1,234,567"
    assert i18n.number_text(12.345, "ar", digits=1) == "12.3"
