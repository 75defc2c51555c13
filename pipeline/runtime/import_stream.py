"""Reading an events CSV a chunk at a time (the PostGIS workspace's imports).

On the PostGIS workspace an ACLED export or a plain CSV of points is read with pyarrow's streaming CSV
reader (``pyarrow.csv.open_csv``) in chunks of :data:`CHUNK_ROWS` rows; each chunk goes through the
format's own reader (``read_acled`` / ``read_csv_points``: numbers, dates, empty ids, governorate names)
with the absolute row number of its first row (:func:`parts`). The import then checks each chunk and COPYs
it into the database before the next is read (``import_stage``): the whole file's text and typed rows are
never held at once, only one chunk's.

Where a chunk can answer otherwise than the whole file: slash dates have their day/month order inferred per chunk
(``parse_date_column``); when two chunks decide differently (one proves month-first, another could be either) the
import is declined and the file read whole (``dates.slash_orders_seen``), so the order is always the whole file's.
An ACLED export's "countries in the export" warning is worded per chunk (each distinct wording once).

A file the streaming reader cannot take (duplicate or empty header names, a row pyarrow refuses) is read
whole, as before: :func:`parts` returns None, or raises :class:`Unstreamable` (the import's transaction,
holding the chunks staged so far, is rolled back first).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from pipeline.runtime.detect import (
    Detected,
    Parsed,
    check_count,
    csv_head,
    release_pool,
)
from pipeline.runtime.readers.acled import USED_COLUMNS, read_acled
from pipeline.runtime.readers.csv_points import read_csv_points

# rows of a chunk: the app's peak follows it (a million ACLED rows: 387 MiB at 65,536, 335 MiB at 32,768, with
# 0.9 s more of the app's CPU); a test sets a few, so that a small real file spans many chunks
CHUNK_ROWS = 50_000


def streams(det: Detected, *, in_db: bool) -> bool:
    """True when the import reads ``det``'s file a chunk at a time: an events CSV on the PostGIS workspace."""
    return in_db and det.container == "csv" and det.fmt in ("acled", "csv")


def _open(path: Path, display: str, wanted: set[str] | None) -> pacsv.CSVStreamingReader | None:
    """pyarrow's streaming reader over ``path`` (every column as text), or None for a header it cannot take."""
    head = csv_head(path, display)
    if not head.arrow_ready:
        return None  # the whole-file reader says what is wrong (no header row, names missing or twice)
    return pacsv.open_csv(path, **head.arrow_options(wanted))


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


class Unstreamable(Exception):
    """A row pyarrow's streaming reader refuses: the file is read whole instead (which names the row)."""


def parts(path: Path, det: Detected, display: str, *, rows: int | None = None) -> Iterator[Parsed] | None:
    """The events of ``path`` a chunk of ``rows`` (default :data:`CHUNK_ROWS`) at a time, each as its format's
    reader reads it (row numbers as in the whole file); None when the header needs the whole-file reader.
    Iterating raises :class:`Unstreamable` at a row pyarrow refuses."""
    acled = det.fmt == "acled"
    try:  # pyarrow reads the first block on opening: a row it refuses there is found now
        reader = _open(path, display, {c.lower() for c in USED_COLUMNS} if acled else None)
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
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

