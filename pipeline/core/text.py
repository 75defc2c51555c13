"""Text decoding: the one policy for every text file the project reads (uploaded tables, reports).

In order:

1. a UTF-16 byte-order mark (``FF FE`` or ``FE FF``): UTF-16 in that byte order;
2. binary content (a NUL byte, or more control bytes than ordinary text holds) is refused;
3. UTF-8, with or without a byte-order mark, when the *whole* input is valid UTF-8;
4. otherwise Windows-1256 (:data:`LEGACY_ENCODING`), the legacy Arabic code page that Arabic-language
   material from Gaza is saved in when it is not UTF-8. It also keeps the Latin letters of French
   (é, è, à, ç, ...) at their Latin-1 places. Every byte has a meaning in it, so this step never fails.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from pipeline.core.errors import InputError
from pipeline.core.i18n import N_, msg

LEGACY_ENCODING = "cp1256"

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
UPLOAD_TEXT = msg(N_("upload the text file itself, saved as UTF-8"))
# Control bytes that ordinary text does not hold (tab, line feed, form feed and carriage return are fine).
_CONTROL = bytes(sorted(set(range(32)) - {9, 10, 12, 13}))
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL)


def is_binary(data: bytes) -> bool:
    """True when ``data`` holds a NUL byte or more control bytes than text does (over 1 %, at least 8)."""
    if b"\x00" in data:
        return True
    controls = len(data.translate(None, _NOT_CONTROL))
    return controls > max(8, len(data) // 100)


def text_encoding(path: Path, *, file: str | None = None,
                  fix: str = UPLOAD_TEXT, chunk: int = 1 << 24) -> str:
    """The codec :func:`decode_text` would use for the file at ``path`` (``utf-16``, ``utf-8-sig`` or
    :data:`LEGACY_ENCODING`), decided on the whole file read in ``chunk``-byte pieces, so a large file is
    never held in memory; binary content and damaged UTF-16 are refused as there. The answer for a file
    is remembered while its size and modification time stay the same (detection and reading both ask)."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _encodings:
        if len(_encodings) > 64:
            _encodings.clear()
        _encodings[key] = _text_encoding(path, st.st_size, file=file, fix=fix, chunk=chunk)
    return _encodings[key]


_encodings: dict[tuple[str, int, int], str] = {}


def _text_encoding(path: Path, size: int, *, file: str | None, fix: str, chunk: int) -> str:
    with open(path, "rb") as fh:
        head = fh.read(2)
        fh.seek(0)
        utf16 = head in _UTF16_BOMS
        decoder = codecs.getincrementaldecoder("utf-16" if utf16 else "utf-8-sig")()
        utf8 = True
        controls = 0
        while data := fh.read(chunk):
            if not utf16:
                if b"\x00" in data:
                    raise InputError(msg(N_("the file is binary, not text")), file=file, fix=fix)
                controls += len(data.translate(None, _NOT_CONTROL))
            if utf16 or utf8:
                try:
                    decoder.decode(data)
                except UnicodeDecodeError as exc:
                    if utf16:
                        raise InputError(msg(N_("the text starts as UTF-16 but is damaged ({reason})"), reason=exc.reason), file=file,
                                         fix=msg(N_("save the file again as UTF-8"))) from exc
                    utf8 = False
        if utf16 or utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                if utf16:
                    raise InputError(msg(N_("the text starts as UTF-16 but is damaged ({reason})"), reason=exc.reason), file=file,
                                     fix=msg(N_("save the file again as UTF-8"))) from exc
                utf8 = False
    if utf16:
        return "utf-16"
    if controls > max(8, size // 100):
        raise InputError(msg(N_("the file is binary, not text")), file=file, fix=fix)
    return "utf-8-sig" if utf8 else LEGACY_ENCODING


def decode_text(data: bytes, *, file: str | None = None,
                fix: str = UPLOAD_TEXT) -> str:
    """The text of ``data`` by the policy above; ``file`` and ``fix`` go into the error for binary input."""
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(msg(N_("the text starts as UTF-16 but is damaged ({reason} at byte {start})"), reason=exc.reason, start=exc.start),
                             file=file, fix=msg(N_("save the file again as UTF-8"))) from exc
    if is_binary(data):
        raise InputError(msg(N_("the file is binary, not text")), file=file, fix=fix)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode(LEGACY_ENCODING)
