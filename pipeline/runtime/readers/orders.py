"""A user's own evacuation orders (``--as orders``): block ids per date, or designated-area polygons per date.

Block-id files (CSV/XLSX): an order date column and a block id column, one row per block per order or a
list per row (``"12, 13, 642.1"``); optional order id, title and source URL. Rows without an order id
that share a date and title are one order. Polygon files (GeoJSON, GeoPackage, zipped Shapefile) are
read by the zone reader; each polygon is an order from its date (``date``, ``issued_on``,
``order_date``, ``valid_from`` ...). Both come back as :class:`Parsed` of kind ``orders`` with
``order_id``, ``issued_on``, ``title``, ``source_url`` and either ``block_id``/``sub_block_id``
(tables) or a geometry (polygons); validation against the block grid is ``pipeline.runtime.user_orders``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from pipeline.core.errors import InputError
from pipeline.core.i18n import N_, msg
from pipeline.runtime.detect import Detected, Parsed, Problem, check_count, read_table
from pipeline.runtime.readers.csv_points import (
    DATE_NAMES,
    find_column,
    parse_block_ids,
    parse_dates,
    row_numbers,
    text_column,
)
from pipeline.runtime.readers.zone_files import read_zone_files

ORDER_DATE_NAMES = ("order_date", "issued_on", "issued", "date_issued", "issue_date", "published_on",
                    "posted_on", "ordered_on", "valid_from", "start_date") + DATE_NAMES
BLOCK_NAMES = ("block_ids", "block_id", "blocks", "block", "block_no", "block_number", "block_numbers",
               "evacuation_block", "evacuation_blocks")
ORDER_ID_NAMES = ("order_id", "order", "order_no", "order_number", "id")
TITLE_NAMES = ("title", "order_title", "name", "description", "area", "label")
URL_NAMES = ("source_url", "url", "link", "href")
_LIST_SEP = r"[,;،/\s]+"  # "12, 13, 642.1", "12;13", Arabic comma


def _order_ids(ids: pd.Series, dates: pd.Series, titles: pd.Series, stem: str) -> pd.Series:
    """The file's own order ids; where it has none, one id per distinct (date, title) pair."""
    key = dates.dt.strftime("%Y-%m-%d").fillna("undated") + "|" + titles.fillna("")
    codes, _ = pd.factorize(key)
    made = pd.Series([f"{stem}-{c + 1}" for c in codes], index=ids.index, dtype="string")
    return ids.where(ids.notna() & (ids != ""), made)


def read_orders_table(path: Path, det: Detected, display: str) -> Parsed:
    """Block ids per order date (CSV/XLSX) -> one row per block named, with the row it came from."""
    frame = read_table(path, det.container, display)
    check_count(len(frame), display)
    if frame.empty:
        raise InputError(msg(N_("the orders file has a header but no rows")), file=display)
    cols = list(frame.columns)
    date_c, block_c = find_column(cols, ORDER_DATE_NAMES), find_column(cols, BLOCK_NAMES)
    if date_c is None or block_c is None:
        lacking = (msg(N_("an order date (order_date, date, issued_on) and block ids (block_id, blocks)"))
                   if date_c is None and block_c is None else
                   msg(N_("an order date (order_date, date, issued_on)")) if date_c is None else
                   msg(N_("block ids (block_id, blocks)")))
        raise InputError(msg(N_("an orders file needs {items}; columns found: {cols}"), items=lacking, cols=cols[:20]),
                         file=display,
                         fix=msg(N_("one row per order (or per block of an order) with its date and block id(s)")))
    rows = row_numbers(frame, 2)
    dates, problems, _ = parse_dates(frame[date_c], rows, date_c)
    stem = Path(display).stem
    titles = text_column(frame, find_column(cols, TITLE_NAMES))
    ids = _order_ids(text_column(frame, find_column(cols, ORDER_ID_NAMES)), dates, titles, stem)
    per_row = pd.DataFrame({"_row": rows, "order_id": ids, "issued_on": dates, "title": titles,
                            "source_url": text_column(frame, find_column(cols, URL_NAMES)),
                            "raw": text_column(frame, block_c).str.split(_LIST_SEP, regex=True)})
    empty = per_row["raw"].map(lambda v: not isinstance(v, list) or not any(t for t in v))
    problems += [Problem(int(r), block_c, msg(N_("no block id")), fix=msg(N_("name the block(s) the order covers")))
                 for r in rows[empty]]
    long = per_row[~empty].explode("raw")
    long = long[long["raw"].notna() & (long["raw"] != "")].reset_index(drop=True)
    long["block_id"], long["sub_block_id"], p = parse_block_ids(long["raw"], long["_row"], block_c)
    problems += p
    long.attrs["block_field"] = block_c
    return Parsed("orders", long, "orders", problems=problems, meta={"columns": {"date": date_c, "block": block_c}},
                  name_hint=stem)


def read_orders_polygons(path: Path, det: Detected, display: str, tmpdir: Path) -> list[Parsed]:
    """Designated-area polygons with a date (read by the zone reader) -> one order per polygon."""
    out = []
    for z in read_zone_files(path, det, display, tmpdir):
        if z.kind != "zones" or not isinstance(z.frame, gpd.GeoDataFrame):
            raise InputError(msg(N_("{name_hint}: an orders file of areas must hold polygons, not {kind}"), name_hint=z.name_hint, kind=z.kind), file=display,
                             fix=msg(N_("export the designated areas as polygons")))
        f = z.frame
        cols = [c for c in f.columns if c != f.geometry.name]
        date_c = find_column(cols, ORDER_DATE_NAMES) or "valid_from"  # the zone reader's reading of date/start
        problems = list(z.problems)
        if date_c == "valid_from":
            dates = f["valid_from"]
            flagged = {q.row for q in problems}
            problems += [Problem(int(r), "date", msg(N_("no order date (an order counts from its date)")),
                                 fix=msg(N_("add a 'date' attribute (YYYY-MM-DD) to every polygon")))
                         for r in f["_row"][dates.isna()] if int(r) not in flagged]
        else:
            dates, p, _ = parse_dates(f[date_c].astype("string"), f["_row"], date_c)
            problems += p
        frame = gpd.GeoDataFrame({
            "_row": f["_row"], "order_id": f["zone_id"], "issued_on": dates, "title": f["name"],
            "source_url": text_column(f, find_column(cols, URL_NAMES)),
            "block_id": pd.Series(pd.NA, index=f.index, dtype="Int64"),
            "sub_block_id": pd.Series(pd.NA, index=f.index, dtype="string")},
            geometry=f.geometry.values, crs=4326, index=f.index)
        out.append(Parsed("orders", frame, "orders", problems=problems, warnings=z.warnings, repaired=z.repaired,
                          meta={**z.meta, "columns": {"date": date_c}}, name_hint=z.name_hint))
    return out


def read_orders(path: Path, det: Detected, display: str, tmpdir: Path) -> list[Parsed]:
    """An orders file: a table of block ids (CSV/XLSX) or polygons (GeoJSON, GeoPackage, zip)."""
    if det.container in ("csv", "xlsx"):
        return [read_orders_table(path, det, display)]
    return read_orders_polygons(path, det, display, tmpdir)
