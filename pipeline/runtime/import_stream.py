"""Reading an events CSV a chunk at a time (the PostGIS workspace's imports).

On the PostGIS workspace an ACLED export or a plain CSV of points is read with pyarrow's streaming CSV
reader (``pyarrow.csv.open_csv``) in chunks of :data:`CHUNK_ROWS` rows; each chunk goes through the
format's own reader (``read_acled`` / ``read_csv_points``: numbers, dates, empty ids, governorate names)
with the absolute row number of its first row, and only the typed columns the reader keeps are put
together. The whole file's text is never held at once: the raw strings of one chunk are. The checks on
the rows put together (coordinates, domain, duplicates, dates inside the war, text caps, markup) then run
once, as for any import (``imports.finish_events``), and the join runs in the database (``import_join``).

Where a chunk can answer otherwise than the whole file: a column of dates in an unusual layout has its day/month
order inferred per chunk (``parse_date_column``), and an ACLED export's "countries in the export" warning is
worded per chunk (each distinct wording once). ISO dates, which ACLED writes, are read the same either way.

A file the streaming reader cannot take (duplicate or empty header names, a row pyarrow refuses) is read
whole, as before: :func:`read_events` returns None.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from pipeline.core.text import text_encoding
from pipeline.runtime.detect import (
    _BINARY_FIX,
    _EXCEL_SEP,
    Detected,
    Parsed,
    check_count,
    head_lines,
    release_pool,
    sniff_delimiter,
)
from pipeline.runtime.readers.acled import USED_COLUMNS, read_acled
from pipeline.runtime.readers.csv_points import read_csv_points

CHUNK_ROWS = 65_536  # rows of a chunk (a test sets a few, so that a small real file spans many chunks)


def streams(det: Detected, *, in_db: bool) -> bool:
    """True when the import reads ``det``'s file a chunk at a time: an events CSV on the PostGIS workspace."""
    return in_db and det.container == "csv" and det.fmt in ("acled", "csv")


def _open(path: Path, display: str, wanted: set[str] | None) -> pacsv.CSVStreamingReader | None:
    """pyarrow's streaming reader over ``path`` (every column as text), or None for a header it cannot take."""
    encoding = text_encoding(path, file=display, fix=_BINARY_FIX)
    lines = head_lines(path, encoding)
    skip = 1 if lines and _EXCEL_SEP.match(lines[0]) else 0
    delim = sniff_delimiter(lines)
    body = [ln for ln in lines[skip:] if ln.strip()]
    if not body:
        return None  # the whole-file reader says what is wrong
    header = next(csv.reader([body[0]], delimiter=delim))
    if len(set(header)) != len(header) or not all(h.strip() for h in header):
        return None
    include = None if wanted is None else [h for h in header if h.strip().lower() in wanted]
    return pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(encoding="utf8" if encoding == "utf-8-sig" else encoding, skip_rows=skip),
        parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types={h: pa.string() for h in header}, include_columns=include,
                                             null_values=[""], strings_can_be_null=True,
                                             quoted_strings_can_be_null=True))


def _frame(table: pa.Table) -> pd.DataFrame:
    frame: pd.DataFrame = table.to_pandas(split_blocks=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def chunks(reader: pacsv.CSVStreamingReader, rows: int) -> Iterator[pd.DataFrame]:
    """The file's rows as frames of ``rows`` rows (the last one shorter; one empty frame for no row)."""
    pending: list[pa.RecordBatch] = []
    held = 0
    sent = False
    for batch in reader:
        pending.append(batch)
        held += batch.num_rows
        while held >= rows:
            table = pa.Table.from_batches(pending)
            yield _frame(table.slice(0, rows))
            sent = True
            rest = table.slice(rows)
            pending, held = rest.to_batches(), rest.num_rows
            del table
    if held or not sent:
        yield _frame(pa.Table.from_batches(pending, schema=reader.schema))


def _combine(parts: list[Parsed]) -> Parsed:
    """One Parsed from the chunks' (rows in file order; problems and repairs of every chunk; each warning once)."""
    first = parts[0]
    columns = list(first.frame.columns)
    attrs = dict(first.frame.attrs)
    frame = pd.DataFrame({c: pd.concat([p.frame.pop(c) for p in parts], ignore_index=True)  # a column at a time
                          for c in columns})
    frame.attrs.update(attrs)
    warnings = list(dict.fromkeys(w for p in parts for w in p.warnings))
    return Parsed(first.kind, frame, first.fmt, problems=[q for p in parts for q in p.problems], warnings=warnings,
                  repaired=[q for p in parts for q in p.repaired], meta=first.meta, name_hint=first.name_hint)


class Unstreamable(Exception):
    """A row pyarrow's streaming reader refuses: the file is read whole instead (which names the row)."""


def parts(path: Path, det: Detected, display: str, *, rows: int | None = None) -> Iterator[Parsed] | None:
    """The events of ``path`` a chunk of ``rows`` (default :data:`CHUNK_ROWS`) at a time, each as its format's
    reader reads it (row numbers as in the whole file); None when the header needs the whole-file reader.
    Iterating raises :class:`Unstreamable` at a row pyarrow refuses."""
    acled = det.fmt == "acled"
    reader = _open(path, display, {c.lower() for c in USED_COLUMNS} if acled else None)
    if reader is None:
        return None
    return _parts(reader, path, det, display, rows or CHUNK_ROWS)


def _parts(reader: pacsv.CSVStreamingReader, path: Path, det: Detected, display: str, size: int
           ) -> Iterator[Parsed]:
    acled = det.fmt == "acled"
    offset = held = 0
    try:
        for frame in chunks(reader, size):
            if offset and frame.empty:
                break
            first_row = 2 + offset  # the row as a spreadsheet shows it (header = 1)
            offset += len(frame)
            part = (read_acled(path, det, display, frame=frame, first_row=first_row) if acled
                    else read_csv_points(path, det, display, frame=frame, first_row=first_row))
            held += len(part.frame)  # an HXL tag row is not a row: counted as the whole-file read counts
            check_count(held, display)
            del frame
            yield part
            release_pool()
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise Unstreamable(str(exc)) from exc


def read_events(path: Path, det: Detected, display: str, *, rows: int | None = None) -> list[Parsed] | None:
    """The events of ``path`` read a chunk at a time and put together (:func:`parts`); None when the file
    needs the whole-file reader."""
    found = parts(path, det, display, rows=rows)
    if found is None:
        return None
    try:
        return [_combine(list(found))]
    except Unstreamable:
        return None
