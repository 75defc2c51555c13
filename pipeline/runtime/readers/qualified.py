"""Figures as people write them in sheets: "more than 20", "approx. 15", "20+", "not reported", "-".

A qualifier is kept in its own column (never dropped, never folded into the number); a cell that
says no figure was reported is *no value* (missing), never 0. A sum of figures is qualified by
:func:`sum_qualifier`: with one "more than 20" among them it is "at least" the sum. Anything else that is not a number is
a problem naming its row, as :func:`pipeline.runtime.readers.csv_points.parse_numbers` reports it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from pipeline.core.i18n import N_, msg
from pipeline.runtime.detect import Problem
from pipeline.runtime.readers.csv_points import parse_numbers

# Written forms -> the qualifier kept (lower case, as the sheets write them).
QUALIFIERS: dict[str, tuple[str, ...]] = {
    "more than": ("more than", "over", "above", "greater than", "in excess of", ">"),
    "at least": ("at least", "no fewer than", "not less than", "minimum", "min.", ">=", "≥"),
    "approximately": ("approximately", "approx.", "approx", "about", "around", "roughly", "circa", "ca.", "c.",
                      "some", "est.", "estimated", "~", "≈"),
    "almost": ("almost", "nearly", "close to"),
    "less than": ("less than", "fewer than", "under", "below", "<"),
    "at most": ("at most", "up to", "maximum", "max.", "<=", "≤"),
}
NOT_REPORTED = "not reported"
# Cells that say there is no figure: missing, not zero.
NO_VALUE = frozenset({"-", "–", "—", "--", "?", "..", "...", "n/a", "na", "n.a.", "nr", "none reported", "no data",
                      "not reported", "not available", "unknown", "unk", "tbc", "tbd", "not known", "no figure"})

_FORMS = sorted(((form, q) for q, forms in QUALIFIERS.items() for form in forms), key=lambda x: -len(x[0]))
_CANON = dict(_FORMS)
_PREFIX = re.compile(r"^(" + "|".join(re.escape(f) + (r"(?=[\s\d])" if f[-1].isalpha() else "")
                                       for f, _ in _FORMS) + r")\s*(.*)$", re.I)
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


LOWER_BOUNDS = frozenset({"more than", "at least"})
UPPER_BOUNDS = frozenset({"less than", "at most"})


def sum_qualifier(qualifiers: Iterable[object]) -> str | None:
    """The qualifier of a sum of figures with these qualifiers (None or NA: an exact figure).

    A lower bound among them ("more than 20" + 5) makes the sum a lower bound: "at least" 25 (the sum of
    the stated figures is reached, and "more than" would overstate what is known once figures are added);
    upper bounds alone make it "at most"; bounds both ways, or an estimate ("approximately", "almost"),
    make it "approximately"; exact figures only: None.
    """
    found = {str(q) for q in qualifiers if isinstance(q, str) and q and q != NOT_REPORTED}
    if not found:
        return None
    if found <= LOWER_BOUNDS:
        return "at least"
    if found <= UPPER_BOUNDS:
        return "at most"
    return "approximately"


def no_value_mask(values: pd.Series) -> pd.Series:
    """True where a cell says there is no figure ("-", "n/a", "not reported", ...) or is blank."""
    low = values.astype("string").str.strip().str.lower()
    return (low.isna() | (low == "") | low.isin(NO_VALUE)).fillna(True).astype(bool)


def parse_qualified(values: pd.Series, rows: pd.Series, field: str, *, integer: bool = False,
                    qualifier_column: pd.Series | None = None) -> tuple[pd.Series, pd.Series, list[Problem]]:
    """(numbers, qualifiers, problems) from a figure column.

    "more than 20" -> 20 with qualifier "more than"; "approx. 15" -> 15, "approximately"; "20+" -> 20,
    "at least"; "1,200" -> 1200; "not reported", "-", "n/a" -> missing with qualifier "not reported";
    blank -> missing. ``qualifier_column`` (a sheet's own "qualifier" column) fills the qualifier where the
    cell itself has none; its known forms are written the canonical way, others kept (lower case).
    """
    text = values.astype("string").str.strip()
    low = text.str.lower()
    said_none = low.isin(NO_VALUE).fillna(False).astype(bool)
    parts = text.str.extract(_PREFIX)
    has_prefix = parts[0].notna()
    qual = parts[0].str.lower().map(_CANON).astype("string").where(has_prefix)
    number = text.where(~has_prefix, parts[1].astype("string"))
    plus = number.str.fullmatch(r"[\d.,\s]+\+").fillna(False).astype(bool)
    number = number.where(~plus, number.str.rstrip("+ ").astype("string"))
    qual = qual.where(~plus, "at least")
    commas = number.str.fullmatch(_THOUSANDS).fillna(False).astype(bool)
    number = number.where(~commas, number.str.replace(",", "", regex=False))
    number = number.where(~said_none)
    nums, problems = parse_numbers(number, rows, field, required=False, integer=integer)
    # a problem names the cell as written, not the part left after its qualifier
    written = dict(zip(rows.tolist(), values.astype("string").tolist(), strict=True))
    for p in problems:
        if p.row in written and p.reason.startswith("not a number"):
            p.reason = msg(N_("not a number: {value!r}"), value=str(written[p.row])[:40])
    qual = qual.where(~said_none, NOT_REPORTED)
    if qualifier_column is not None:
        own = qualifier_column.astype("string").str.strip()
        own = own.str.lower().map(lambda s: _CANON.get(s, s) if isinstance(s, str) else s).astype("string")
        qual = qual.fillna(own.where(own != ""))
    return nums, qual.astype("string"), problems
