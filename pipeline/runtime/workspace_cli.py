"""``python -m pipeline workspace list | rename OLD NEW | delete NAME``: manage the imported layers.

The command line acts as the ``cli`` viewer: it sees every layer and may change any (whoever runs it
has the server's files or database in hand anyway).
"""

from __future__ import annotations

import json
from typing import Any

from pipeline.runtime import workspace

COLUMNS = ("name", "kind", "rows", "origin", "imported_at", "owner", "shared")


def table(entries: list[dict[str, Any]]) -> str:
    """The layers as aligned text columns, one line each under a header."""
    rows = [[str(c) for c in COLUMNS]] + [[str(e.get(c, "")) for c in COLUMNS] for e in entries]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def cli(args: Any) -> int:
    """Exit 0 done, 1 nothing to do (no such layer), 2 refused (the error line names why)."""
    if args.action == "list":
        entries = workspace.list_layers()
        if args.json:
            print(json.dumps([{c: e.get(c) for c in COLUMNS} for e in entries], indent=2, ensure_ascii=False))
        elif entries:
            print(table(entries))
        else:
            print(f"the workspace ({workspace.backend().kind}) has no layer")
        for p in workspace.problems():
            print(f"damaged: {p}")
        return 0
    if args.action == "rename":
        e = workspace.rename(args.old, args.new)
        print(f"renamed {args.old} to {e['name']}")
        return 0
    if workspace.delete(args.name):
        print(f"deleted {args.name}")
        return 0
    print(f"there is no workspace layer {args.name!r} (see `python -m pipeline workspace list`)")
    return 1
