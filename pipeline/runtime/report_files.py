"""The plain text of an uploaded report: .txt, .md or .html (HTML tags, scripts and styles dropped).

Bytes become text by the project's one decoding policy (:func:`pipeline.core.text.decode_text`).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from pipeline.core.errors import InputError
from pipeline.core.i18n import N_, msg
from pipeline.core.text import decode_text

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", "")
_SKIPPED = ("script", "style", "noscript", "template")


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in _SKIPPED:
            self._skip += 1
        elif tag in ("p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip = max(0, self._skip - 1)
        elif tag in ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def text_from_html(text: str) -> str:
    """The visible text of an HTML document, one paragraph per block, entities decoded."""
    p = _TextOnly()
    p.feed(text)
    out = html.unescape("".join(p.parts))
    out = re.sub(r"[ \t]+", " ", out)
    return re.sub(r"\n\s*\n+", "\n\n", out).strip()


def text_from_file(name: str, data: bytes, *, max_bytes: int = 5_000_000) -> str:
    """Plain text of an uploaded .txt, .md or .html file (HTML tags and scripts dropped)."""
    if len(data) > max_bytes:
        raise InputError(msg(N_("text file is larger than {max_bytes} MB"), max_bytes=max_bytes // 1_000_000), file=name,
                         fix=msg(N_("paste the part of the report you need")))
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(msg(N_("unsupported file type {suffix!r}"), suffix=suffix), file=name, fix=msg(N_("upload .txt, .md or .html")))
    text = decode_text(data, file=name, fix=msg(N_("upload the report as .txt, .md or .html, or paste its text")))
    if suffix in (".html", ".htm") or re.match(r"\s*<(?:!doctype|html)", text, re.IGNORECASE):
        text = text_from_html(text)
    return text
