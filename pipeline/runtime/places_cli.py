"""``python -m pipeline places FILE [--date YYYY-MM-DD]``: the places and figures a report names, as JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipeline.core.errors import InputError
from pipeline.runtime.mentions import find_mentions
from pipeline.runtime.place_search import get_index
from pipeline.runtime.report_files import text_from_file

_KEEP = ("name", "place_id", "name_en", "kind", "inside_gaza", "pcode", "start", "end", "sentence_index",
         "sentence")


def cli(args: argparse.Namespace) -> int:
    """Print the mentions, outside places, unmatched names and figures of ``args.file`` as JSON."""
    path = Path(args.file)
    if not path.exists():
        raise InputError("file not found", file=str(path))
    text = text_from_file(path.name, path.read_bytes())
    result = find_mentions(get_index(), text, report_date=args.date)
    out = {
        "file": path.name,
        "report_date": result["report_date"],
        "sentences": result["sentences"],
        "mentions": [{k: m[k] for k in _KEEP} for m in result["mentions"]],
        "outside": [{k: m[k] for k in _KEEP} for m in result["outside"]],
        "unmatched": result["unmatched"],
        "figures": result["figures"],
    }
    print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    return 0
