"""The default scenario's attributed claims (a press report of 2 Dec 2023, restated as data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.core.dates import parse_date_column
from pipeline.core.errors import InputError

CLAIMS_FILE = "reference/scenario-2023-12-claims.csv"


CLAIM_COLUMNS = ["date", "claim", "figure", "unit", "attributed_to", "place_id", "source"]


def read_claims(path: str | Path, *, label: str = CLAIMS_FILE) -> pd.DataFrame:
    """The scenario's claims; every date must parse and every figure be a number or empty."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    miss = [c for c in CLAIM_COLUMNS if c not in raw.columns]
    if miss:
        raise InputError(f"missing column(s) {miss}", file=label)
    dates, problems, _ = parse_date_column(raw["date"])
    if problems:
        p = problems[0]
        raise InputError(f"unreadable date {p.value!r} ({p.reason})", file=label, row=p.row + 2, field="date")
    fig = pd.to_numeric(raw["figure"].replace("", None), errors="coerce")
    bad = fig.isna() & raw["figure"].str.strip().ne("")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"figure {raw['figure'].iloc[i]!r} is not a number", file=label, row=i + 2, field="figure")
    out = raw[CLAIM_COLUMNS].copy()
    out["date"] = dates.dt.date
    out["figure"] = fig.astype(float)
    for col in ("unit", "place_id"):
        out[col] = out[col].str.strip().replace("", None)
    return out.reset_index(drop=True)
