"""Command line: ``python -m pipeline build | summary | check | metrics | crosscheck | sitrep | import | workspace |
places | orders``."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable

from pipeline.build.provenance import sources_table
from pipeline.build.run import build
from pipeline.core import settings
from pipeline.core.errors import BundleError, InputError, SettingError
from pipeline.runtime import imports, metrics, order_impact, places_cli, sitrep, workspace_cli
from pipeline.runtime.bundle import load_manifest, summary


def _print_json(obj: object) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def cmd_build(args: argparse.Namespace) -> int:
    ctx = build(raw_dir=args.raw, out_dir=args.out)
    for key, value in ctx.report.items():
        print(f"{key}: {json.dumps(value, ensure_ascii=False, default=str)}", file=sys.stderr)
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    _print_json(summary(args.bundle))
    return 0


def cmd_sources_table(args: argparse.Namespace) -> int:
    print(sources_table())
    return 0


def cmd_settings_table(args: argparse.Namespace) -> int:
    print(settings.settings_table())
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Rebuild into a temporary folder and compare layer hashes with the committed bundle."""
    with tempfile.TemporaryDirectory() as tmp:
        build(out_dir=f"{tmp}/bundle")
        new = load_manifest(f"{tmp}/bundle")["layers"]
    old = load_manifest(args.bundle)["layers"]
    diff = {n: "changed" for n in old if n in new and old[n]["sha256"] != new[n]["sha256"]}
    diff.update({n: "missing from rebuild" for n in old if n not in new})
    diff.update({n: "new in rebuild" for n in new if n not in old})
    _print_json({"identical": not diff, "differences": diff})
    return 0 if not diff else 1


def _delegate(cli: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        return int(cli(args) or 0)

    return run


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build geodata/bundle from geodata/raw")
    b.add_argument("--raw", default=None, help="raw folder (default: geodata/raw)")
    b.add_argument("--out", default=None, help="bundle folder (default: geodata/bundle)")
    b.set_defaults(func=cmd_build)

    s = sub.add_parser("summary", help="print the bundle's layers and sources as JSON")
    s.add_argument("--bundle", default=None)
    s.set_defaults(func=cmd_summary)

    c = sub.add_parser("check", help="rebuild in a temporary folder and compare layer hashes")
    c.add_argument("--bundle", default=None)
    c.set_defaults(func=cmd_check)

    t = sub.add_parser("sources-table", help="print the sources table kept in geodata/SOURCES.md")
    t.set_defaults(func=cmd_sources_table)

    st_ = sub.add_parser("settings-table", help="print the settings table kept in the README")
    st_.set_defaults(func=cmd_settings_table)

    m = sub.add_parser("metrics", help="print the dashboard's figures for a date as JSON")
    m.add_argument("--on", required=True, help="date, YYYY-MM-DD")
    m.add_argument("--since", default=None,
                   help="start of the cumulative window: a date (YYYY-MM-DD) or a framing (grid, war, "
                        "ceasefire-ended); default: the framing OCHA used at --on")
    m.add_argument("--window", type=int, default=7, help="days for 'recent' orders and strikes (default 7)")
    m.set_defaults(func=_delegate(metrics.cli))

    x = sub.add_parser("crosscheck", help="every OCHA statement beside our figure on the same definition")
    x.add_argument("--json", action="store_true", help="print the rows as JSON")
    x.set_defaults(func=_delegate(metrics.crosscheck_cli))

    r = sub.add_parser("sitrep", help="write a one-page A4 situation report (PDF) for a date")
    r.add_argument("--on", required=True, help="date, YYYY-MM-DD")
    r.add_argument("--since", default=None, help="start of the cumulative window (default: as `metrics`)")
    r.add_argument("--window", type=int, default=7, help="days for 'recent' orders and incidents (default 7)")
    r.add_argument("--lang", default="en", help="en (default) or ar (Arabic, right to left)")
    r.add_argument("-o", "--output", default=None, help="PDF file to write (default: sitrep-DATE-LANG.pdf)")
    r.add_argument("--base-url", default=None, help="dashboard address for the page's link "
                                                     "(default: the dashboard_url setting)")
    r.set_defaults(func=_delegate(sitrep.cli))

    i = sub.add_parser("import", help="import a file into the workspace (prints a JSON report)")
    i.add_argument("path")
    i.add_argument("--as", dest="kind", choices=["acled", "hxl", "csv", "zones", "series", "orders"], default=None)
    i.add_argument("--unit", default=None, help="series: the unit of the values (e.g. trucks); default: the file's "
                   "unit column, else the value column's name ('rows' for a line list)")
    i.add_argument("--value", default=None, help="series: the column holding the counts (default: trucks, count, "
                   "value ...; none: each row counts as one)")
    i.add_argument("--dry-run", action="store_true")
    i.add_argument("--accept-partial", action="store_true",
                   help="keep the accepted rows when some are rejected")
    i.add_argument("--keep-duplicates", action="store_true",
                   help="keep both copies of events already in another layer (default: the newest import wins)")
    i.set_defaults(func=_delegate(imports.cli))

    w = sub.add_parser("workspace", help="list, rename or delete imported layers")
    wsub = w.add_subparsers(dest="action", required=True)
    wl = wsub.add_parser("list", help="name, kind, rows, origin, imported_at, owner, shared of every layer")
    wl.add_argument("--json", action="store_true")
    wr = wsub.add_parser("rename", help="rename layer OLD to NEW (refused when NEW is taken)")
    wr.add_argument("old")
    wr.add_argument("new")
    wd = wsub.add_parser("delete", help="delete layer NAME")
    wd.add_argument("name")
    w.set_defaults(func=_delegate(workspace_cli.cli))

    pl = sub.add_parser("places", help="find the places and figures a text names (JSON)")
    pl.add_argument("file")
    pl.add_argument("--date", default=None, help="the report's date, YYYY-MM-DD, to resolve 'on Friday'")
    pl.set_defaults(func=_delegate(places_cli.cli))

    oi = sub.add_parser("orders", help="what each evacuation order touched: area, people, facilities, zone, new vs repeat")
    oi.add_argument("--from", dest="date_from", default=None, help="first issue date, YYYY-MM-DD (default: the first order)")
    oi.add_argument("--to", dest="date_to", default=None, help="last issue date, YYYY-MM-DD (default: the last order)")
    oi.add_argument("--format", choices=["json", "csv"], default="json",
                    help="json: {from, to, facility_kinds, period, orders}; csv: one row per order, then the period")
    oi.set_defaults(func=_delegate(order_impact.cli))
    return p


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        settings.check_all()
        return int(args.func(args))
    except (InputError, BundleError, SettingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
