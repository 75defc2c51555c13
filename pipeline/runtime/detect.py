"""What an uploaded file is, decided from its content, and how to open it safely.

Formats (``detect``): ``acled`` (ACLED's column set, CSV or XLSX), ``hxl`` (a
hashtag row under the header, CSV or XLSX), ``csv`` (plain table with
latitude/longitude columns) and ``zones`` (GeoJSON, GeoPackage, zipped
Shapefile); ``series`` (a dated table, CSV or XLSX) is only ever declared
(``--as series``). The extension is only a tie-breaker: a ``.csv`` holding binary
junk is refused, a GeoJSON called ``.txt`` is read as GeoJSON.

Safety: the size limit is checked before anything is read; zip archives
(including XLSX, which is a zip) are listed first and refused when a member
has an absolute path, ``..`` in its path, is a symlink, or when the declared
total uncompressed size is over ``max_unzipped_mb``; members are then
streamed into a temporary folder with the same cap counted on the real bytes
(a lying header cannot get past it). Nothing is read with pickle or eval.

Also holds the small records the readers share (:class:`Problem`, :class:`Parsed`).
"""

from __future__ import annotations

import codecs
import csv
import ctypes
import ctypes.util
import io
import json
import re
import stat
import zipfile
import zlib
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from pipeline.core import settings
from pipeline.core.errors import InputError
from pipeline.core.i18n import N_, msg
from pipeline.core.text import text_encoding

FORMATS = ("acled", "hxl", "csv", "zones", "series", "orders")

ACLED_REQUIRED = ("event_id_cnty", "event_date", "sub_event_type", "latitude", "longitude")

_SQLITE = b"SQLite format 3\x00"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_BINARY_FIX = msg(N_("CSV, HXL and GeoJSON are text: upload the CSV/GeoJSON itself; XLSX, GeoPackage and zip "
                    "are recognised by content"))


# ---------------------------------------------------------------- shared records


@dataclass
class Problem:
    """One fault in one row or feature: why it is rejected (or, for ``repaired``, what was fixed)."""

    row: int | None
    field: str | None
    reason: str
    fix: str | None = None
    layer: str | None = None

    def as_dict(self) -> dict[str, Any]:
        # reason and fix stay Message objects (a str each: equal to, and stored in JSON as, the English sentence)
        d = {"row": self.row, "field": self.field, "reason": self.reason}
        if self.fix:
            d["fix"] = self.fix
        if self.layer:
            d["layer"] = self.layer
        return d


@dataclass
class Parsed:
    """What a reader returns: canonical columns plus ``_row`` (row number as a spreadsheet shows it).

    ``kind`` is ``events`` (points with the events schema), ``zones`` (polygons),
    ``figures`` (governorate-level values) or ``series`` (dated values, one row per source row). Point readers leave ``lat``/``lon`` columns;
    geometry readers return a GeoDataFrame. ``problems`` are row faults the reader found.
    """

    kind: str
    frame: pd.DataFrame
    fmt: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    repaired: list[Problem] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    name_hint: str = "layer"


@dataclass(frozen=True)
class Detected:
    """``fmt`` is one of FORMATS; ``container`` is csv, xlsx, geojson, gpkg or zip."""

    fmt: str
    container: str
    reason: str


# ---------------------------------------------------------------- limits


def max_bytes() -> int:
    return settings.get(settings.MAX_UPLOAD_MB) * 1024 * 1024


def max_unzipped_bytes() -> int:
    return settings.get(settings.MAX_UNZIPPED_MB) * 1024 * 1024


def max_features() -> int:
    return settings.get(settings.MAX_FEATURES)


def check_size(path: Path, display: str) -> int:
    """Refuse empty files and files over ``max_upload_mb``; return the size in bytes."""
    size = path.stat().st_size
    if size == 0:
        raise InputError(msg(N_("the file is empty")), file=display, fix=msg(N_("export the data again; the upload has 0 bytes")))
    if size > max_bytes():
        raise InputError(msg(N_("the file is {size:.1f} MiB, over the limit of {max_upload_mb} MiB"), size=size / 1048576, max_upload_mb=settings.get(settings.MAX_UPLOAD_MB)),
                         file=display, fix=msg(N_("split the file, or raise max_upload_mb (GDM_MAX_UPLOAD_MB) if you run the app")))
    return size


def check_count(n: int, display: str) -> None:
    if n > max_features():
        raise InputError(msg(N_("the file holds more than {max_features:,} rows or features"), max_features=max_features()),
                         file=display, fix=msg(N_("split the file, or raise max_features (GDM_MAX_FEATURES)")))


# ---------------------------------------------------------------- zip safety


def check_zip(path: Path, display: str) -> list[zipfile.ZipInfo]:
    """List a zip's members; refuse traversal, absolute paths, symlinks and oversized totals."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(msg(N_("not a readable zip archive ({exc})"), exc=exc), file=display) from exc
    with zf:
        infos = zf.infolist()
    total = 0
    for info in infos:
        name = info.filename
        p = PurePosixPath(name.replace("\\", "/"))
        if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
            raise InputError(msg(N_("archive member {name!r} has an absolute path: refused"), name=name), file=display,
                             fix=msg(N_("zip the files with relative paths")))
        if ".." in p.parts:
            raise InputError(msg(N_("archive member {name!r} points outside the archive ('..'): refused"), name=name), file=display,
                             fix=msg(N_("zip the files with plain relative paths")))
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise InputError(msg(N_("archive member {name!r} is a symbolic link: refused"), name=name), file=display,
                             fix=msg(N_("zip the files themselves, not links to them")))
        total += info.file_size
    if total > max_unzipped_bytes():
        raise InputError(msg(N_("the archive would unpack to {total:.0f} MiB, over the limit of {max_unzipped_mb} MiB"), total=total / 1048576, max_unzipped_mb=settings.get(settings.MAX_UNZIPPED_MB)), file=display,
                         fix=msg(N_("send a smaller archive, or raise max_unzipped_mb (GDM_MAX_UNZIPPED_MB)")))
    return infos


def extract_zip(path: Path, dest: Path, display: str) -> list[Path]:
    """Stream the (checked) members into ``dest``; the size cap counts the real bytes written."""
    check_zip(path, display)
    cap = max_unzipped_bytes()
    out: list[Path] = []
    dest = dest.resolve()
    try:
        _stream_members(path, dest, display, cap, out)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise InputError(msg(N_("the archive is damaged ({exc})"), exc=exc), file=display, fix=msg(N_("create the zip again"))) from exc
    return out


def _stream_members(path: Path, dest: Path, display: str, cap: int, out: list[Path]) -> None:
    written = 0
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            rel = PurePosixPath(info.filename.replace("\\", "/"))
            target = (dest / Path(*rel.parts)).resolve()
            if dest not in target.parents:  # belt and braces after check_zip
                raise InputError(msg(N_("archive member {filename!r} escapes the temporary folder"), filename=info.filename), file=display)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > cap:
                        raise InputError(msg(N_("the archive unpacks to more than {max_unzipped_mb} MiB (its header under-states the size): refused"), max_unzipped_mb=settings.get(settings.MAX_UNZIPPED_MB)), file=display,
                                         fix=msg(N_("send a smaller archive")))
                    dst.write(chunk)
            out.append(target)


# ---------------------------------------------------------------- text (decoded by pipeline.core.text)


_DELIMITERS = ",;\t|"
_HEAD_BYTES = 1 << 18  # the part of a text file read to sniff its delimiter and classify its header
_EXCEL_SEP = re.compile(r"^\ufeff?sep=(.)\s*$")  # Excel's "sep=;" first line


def sniff_delimiter(text: str | list[str]) -> str:
    """The delimiter (``,`` ``;`` tab ``|``) that splits the first non-blank lines into the same number
    of fields most often (more than one field); ``,`` when none does. An Excel ``sep=X`` first line wins.

    Blank lines, a ragged line or a quoted field holding other delimiters do not mislead it.
    """
    lines = [ln for ln in (text.splitlines() if isinstance(text, str) else text) if ln.strip()][:50]
    if lines and (m := _EXCEL_SEP.match(lines[0])):
        return m.group(1)
    best, score = ",", (0, 0)
    for d in _DELIMITERS:
        counts = Counter(len(r) for r in csv.reader(lines, delimiter=d))
        fields, agree = max(counts.items(), key=lambda kv: (kv[1], kv[0]), default=(0, 0))
        if fields > 1 and (agree, fields) > score:
            best, score = d, (agree, fields)
    return best


def head_lines(path: Path, encoding: str, nbytes: int = _HEAD_BYTES) -> list[str]:
    """The complete lines in the first ``nbytes`` of a text file (a cut line at the end is left out)."""
    with open(path, "rb") as fh:
        data = fh.read(nbytes)
        more = bool(fh.read(1))
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(data)
    lines = text.splitlines()
    return lines[:-1] if more and len(lines) > 1 else lines


def is_hashtag_row(values: list[Any]) -> bool:
    """True when the row is an HXL tag row: every non-empty cell starts with '#', at least one."""
    cells = [str(v).strip() for v in values if v is not None and not (isinstance(v, float) and pd.isna(v))]
    cells = [c for c in cells if c and c.lower() != "nan"]
    return bool(cells) and all(c.startswith("#") for c in cells)


def _classify_table(columns: list[str], first_rows: list[list[Any]]) -> tuple[str, str]:
    cols = {str(c).strip().lower() for c in columns}
    if all(c in cols for c in ACLED_REQUIRED):
        return "acled", msg(N_("ACLED column set (event_id_cnty, event_date, sub_event_type, latitude, longitude)"))
    if is_hashtag_row(columns) or any(is_hashtag_row(r) for r in first_rows[:3]):
        return "hxl", msg(N_("an HXL hashtag row"))
    return "csv", msg(N_("a plain table"))


def _only_type(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    return {k: v for k, v in pairs if k == "type"}


def _no_number(_: str) -> int:
    return 0


def _sniff_json(path: Path, display: str) -> None:
    """Refuse malformed JSON and JSON that is not GeoJSON, keeping only each object's ``type`` while parsing.

    The reader (GDAL) parses the file again; here every object shrinks to its ``type`` and every number to
    one shared 0 as soon as it is read, so checking a 36 MB file holds no full copy of its tree in memory.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(msg(N_("the JSON is not UTF-8 text")), file=display) from exc
    try:
        obj = json.loads(text, object_pairs_hook=_only_type, parse_float=_no_number, parse_int=_no_number,
                         parse_constant=_no_number)
    except json.JSONDecodeError as exc:
        raise InputError(msg(N_("malformed JSON: {detail} at line {lineno}, column {colno}"), detail=exc.msg, lineno=exc.lineno, colno=exc.colno), file=display,
                         fix=msg(N_("check the file is complete GeoJSON (a FeatureCollection)"))) from exc
    except RecursionError as exc:
        raise InputError(msg(N_("the JSON is nested over about 1,000 levels deep, which GeoJSON never is")), file=display,
                         fix=msg(N_("export the layer as GeoJSON again"))) from exc
    del text
    kind = obj.get("type") if isinstance(obj, dict) else None
    if kind not in ("FeatureCollection", "Feature", "Point", "MultiPoint", "LineString", "MultiLineString",
                    "Polygon", "MultiPolygon", "GeometryCollection"):
        raise InputError(msg(N_("JSON, but not GeoJSON (no 'type': 'FeatureCollection')")), file=display,
                         fix=msg(N_("export the layer as GeoJSON")))


def detect(path: Path, *, display: str | None = None, declared: str | None = None) -> Detected:
    """Decide the format of ``path`` from its bytes; ``declared`` (``--as``) must agree with the content."""
    display = display or path.name
    check_size(path, display)
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if head.startswith(_SQLITE):
        det = Detected("zones", "gpkg", msg(N_("SQLite/GeoPackage header")))
    elif head.startswith(_ZIP):
        infos = check_zip(path, display)
        names = [i.filename.lower() for i in infos]
        if "[content_types].xml" in names and any(n.startswith("xl/") for n in names):
            det = _detect_xlsx(path, display)
        elif any(n.endswith((".shp", ".geojson", ".json", ".gpkg")) for n in names):
            det = Detected("zones", "zip", msg(N_("zip archive holding a Shapefile/GeoJSON/GeoPackage")))
        else:
            raise InputError(msg(N_("zip archive without a Shapefile (.shp), GeoJSON or GeoPackage inside")), file=display,
                             fix=msg(N_("zip the .shp with its .shx, .dbf and .prj")))
    else:
        stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if stripped[:1] in (b"{", b"["):
            _sniff_json(path, display)
            det = Detected("zones", "geojson", "GeoJSON")
        else:
            # The whole file (read in pieces), not the head: whether it is UTF-8 is decided on all of it.
            lines = [ln for ln in head_lines(path, text_encoding(path, file=display, fix=_BINARY_FIX))
                     if ln.strip()]
            if lines and _EXCEL_SEP.match(lines[0]):
                lines = lines[1:]
            if not lines:
                raise InputError(msg(N_("the file holds only blank lines")), file=display)
            delim = sniff_delimiter(lines)
            rows = list(csv.reader(io.StringIO("\n".join(lines[:6])), delimiter=delim))
            fmt, why = _classify_table(rows[0], rows[1:])
            det = Detected(fmt, "csv", why)
    if declared and declared != det.fmt:
        ok = (declared in ("csv", "hxl", "series") and det.container in ("csv", "xlsx")) or \
             (declared == "acled" and det.container in ("csv", "xlsx"))
        ok = ok or declared == "orders"  # a table of block ids or polygons: read by readers/orders.py
        if not ok:
            raise InputError(msg(N_("the file was declared as {declared!r} but its content is {reason} ({container})"), declared=declared, reason=det.reason, container=det.container), file=display, fix=msg(N_("drop --as, or choose the matching format")))
        det = Detected(declared, det.container, msg(N_("declared {declared!r}; content {reason}"), declared=declared, reason=det.reason))
    return det


_DTD = tuple(w.encode(enc) for w in ("<!DOCTYPE", "<!ENTITY") for enc in ("utf-8", "utf-16-le", "utf-16-be"))
_ROOT_TAG = re.compile(rb"<[A-Za-z_]")


def _has_dtd(stream: IO[bytes]) -> bool:
    """True when an XML part declares a DTD (or entities) before its root element; read in 64 KiB chunks."""
    tail = b""
    while chunk := stream.read(65536):
        window = tail + chunk
        if any(w in window for w in _DTD):
            return True
        if _ROOT_TAG.search(window):  # the root element has begun: no DTD can follow
            return False
        tail = window[-32:]
    return False


def _refuse_dtd(path: Path, display: str) -> None:
    """Refuse a workbook whose XML declares a DTD: Excel never writes one, and entities can expand to gigabytes."""
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.is_dir() or not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                continue
            try:
                with zf.open(info) as member:
                    found = _has_dtd(member)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
                raise InputError(msg(N_("not a readable XLSX workbook (part {filename}: {exc})"), filename=info.filename, exc=exc), file=display) from exc
            if found:
                raise InputError(msg(N_("the workbook's part {filename} declares a DTD (<!DOCTYPE or <!ENTITY), which Excel never writes and which can expand to gigabytes (an XML bomb): refused"), filename=info.filename),
                                 file=display, fix=msg(N_("open it in Excel or LibreOffice and save it again as .xlsx")))


def _detect_xlsx(path: Path, display: str) -> Detected:
    from openpyxl import load_workbook

    _refuse_dtd(path, display)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise InputError(msg(N_("not a readable XLSX workbook ({kind}: {exc})"), kind=type(exc).__name__, exc=exc), file=display) from exc
    try:
        ws = wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(min_row=1, max_row=5, values_only=True)]
    finally:
        wb.close()
    if not rows:
        raise InputError(msg(N_("the workbook's first sheet is empty")), file=display)
    fmt, why = _classify_table([str(c) if c is not None else "" for c in rows[0]], rows[1:])
    return Detected(fmt, "xlsx", why)


# ---------------------------------------------------------------- table reading


def read_table(path: Path, container: str, display: str, *, header_row: int = 0,
               columns: Collection[str] | None = None) -> pd.DataFrame:
    """Read a CSV or the first XLSX sheet as strings (no type guessing); size-limited.

    ``columns``: read only the columns whose name (stripped, lower-case) is one of these (None: all).
    CSV goes through pyarrow's reader straight from the file (the text is never held twice); XLSX
    through calamine.
    """
    limit = max_features()
    wanted = None if columns is None else {c.strip().lower() for c in columns}
    if container == "xlsx":
        check_zip(path, display)
        usecols = None if wanted is None else (lambda c: str(c).strip().lower() in wanted)
        try:
            frame = pd.read_excel(path, sheet_name=0, dtype=str, engine="calamine", nrows=limit + 2,
                                  keep_default_na=False, na_values=[""], usecols=usecols)
        except Exception as exc:
            raise InputError(msg(N_("could not read the workbook ({kind}: {exc})"), kind=type(exc).__name__, exc=exc), file=display) from exc
    else:
        frame = _read_csv(path, display, wanted, limit + 2)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def release_pool() -> None:
    """Give back to the system the memory the allocators kept after a large step: pyarrow's pool keeps freed
    pages for reuse, and so does the C library's heap (glibc's ``malloc_trim``, where there is one), so a
    1M-row read would otherwise stay in the process's resident memory while the next steps allocate more."""
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _libc() -> Any:
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return lib if hasattr(lib, "malloc_trim") else None
    except OSError:  # not glibc (macOS, musl): nothing to trim
        return None


_LIBC = _libc()


@dataclass(frozen=True)
class CsvHead:
    """What a CSV's first lines say: its text encoding, a leading Excel ``sep=`` line to skip, the delimiter and
    the header's names (None: no header row)."""

    encoding: str
    skip: int
    delimiter: str
    header: list[str] | None

    @property
    def arrow_ready(self) -> bool:
        """pyarrow's reader takes the header: every name given, none twice."""
        return self.header is not None and len(set(self.header)) == len(self.header) \
            and all(h.strip() for h in self.header)

    def arrow_options(self, wanted: set[str] | None) -> dict[str, Any]:
        """pyarrow CSV options reading every column (or those in ``wanted``, lower case) as text, empty as null."""
        header = self.header or []
        include = None if wanted is None else [h for h in header if h.strip().lower() in wanted]
        return {"read_options": pacsv.ReadOptions(encoding="utf8" if self.encoding == "utf-8-sig" else self.encoding,
                                                  skip_rows=self.skip),
                "parse_options": pacsv.ParseOptions(delimiter=self.delimiter, newlines_in_values=True),
                "convert_options": pacsv.ConvertOptions(column_types={h: pa.string() for h in header},
                                                        include_columns=include, null_values=[""],
                                                        strings_can_be_null=True, quoted_strings_can_be_null=True)}


def csv_head(path: Path, display: str) -> CsvHead:
    encoding = text_encoding(path, file=display, fix=_BINARY_FIX)
    lines = head_lines(path, encoding)
    skip = 1 if lines and _EXCEL_SEP.match(lines[0]) else 0
    delim = sniff_delimiter(lines)
    body = [ln for ln in lines[skip:] if ln.strip()]
    header = next(csv.reader([body[0]], delimiter=delim)) if body else None
    return CsvHead(encoding, skip, delim, header)


def _read_csv(path: Path, display: str, wanted: set[str] | None, nrows: int) -> pd.DataFrame:
    head = csv_head(path, display)
    if head.header is None:
        raise InputError(msg(N_("the file has no header row")), file=display)
    encoding, skip, delim = head.encoding, head.skip, head.delimiter
    if head.arrow_ready:
        try:
            # pyarrow's default block (1 MiB): larger blocks raise the peak memory, not the speed
            table = pacsv.read_csv(path, **head.arrow_options(wanted))
            frame: pd.DataFrame = table.slice(0, nrows).to_pandas(self_destruct=True, split_blocks=True)
            del table
            release_pool()
            return frame
        except (pa.ArrowInvalid, UnicodeDecodeError):
            pass  # ragged rows and the like: pandas' reader names the line (and pads short rows, as before)
    # Duplicate or empty header names, or a row pyarrow refuses: pandas' own reader, still from the file.
    usecols = None if wanted is None else (lambda c: str(c).strip().lower() in wanted)
    try:
        return pd.read_csv(path, sep=delim, dtype=str, keep_default_na=False, na_values=[""], nrows=nrows,
                           skip_blank_lines=True, engine="c", encoding=encoding, skiprows=skip, usecols=usecols)
    except pd.errors.EmptyDataError as exc:
        raise InputError(msg(N_("the file has no header row")), file=display) from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(msg(N_("malformed CSV ({detail})"), detail=str(exc).strip()), file=display,
                         fix=msg(N_("check quoting and that every row has the header's number of fields"))) from exc
