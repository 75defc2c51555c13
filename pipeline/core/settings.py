"""Project settings: each declared once, with its type and help text.

Values can be overridden with environment variables named ``GDM_<NAME>``. ``get(SETTING)`` returns
the setting's declared type; a malformed override raises :class:`SettingError`, whose message names
the variable and what it accepts (the CLI prints it as one ``error:`` line, the dashboard as a
message). ``tests/test_pipeline_units.py`` fails when a setting has no help text or the README's
table is stale.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Generic, TypeVar, cast

from pipeline.core.errors import SettingError

PROJECT_ROOT = Path(__file__).resolve().parents[2]

T = TypeVar("T", int, float, str, Path, date)

_ACCEPTS: dict[type, str] = {
    int: "a whole number",
    float: "a number",
    str: "text",
    Path: "a folder path",
    date: "a date written YYYY-MM-DD",
}


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One setting: its name, default (whose type is the setting's type) and help text."""

    name: str
    default: T
    help: str
    minimum: float | None = None

    @property
    def env(self) -> str:
        return f"GDM_{self.name.upper()}"

    def parse(self, raw: str) -> T:
        """The value of the text ``raw`` as this setting's type, or :class:`SettingError`."""
        kind = type(self.default)
        text = raw.strip()
        value: object
        try:
            if kind is int:
                value = int(text)
            elif kind is float:
                value = float(text)
                if value != value or value in (float("inf"), float("-inf")):
                    raise ValueError(text)
            elif kind is date:
                value = date.fromisoformat(text)
            elif issubclass(kind, Path):
                if not text:
                    raise ValueError(text)
                value = Path(text)
            else:
                value = raw
        except ValueError:
            raise SettingError(self._refusal(raw)) from None
        if self.minimum is not None and isinstance(value, (int, float)) and value < self.minimum:
            raise SettingError(self._refusal(raw))
        return cast(T, value)

    def _refusal(self, raw: str) -> str:
        accepts = _ACCEPTS[Path] if isinstance(self.default, Path) else _ACCEPTS.get(type(self.default), "text")
        if self.minimum is not None:
            accepts += f", at least {self.minimum:g}"
        return (f"{self.env}={raw!r} is not valid: setting '{self.name}' accepts {accepts} "
                f"(default {display_default(self)}); fix or unset the variable")

    @property
    def value(self) -> T:
        raw = os.environ.get(self.env)
        return self.default if raw is None else self.parse(raw)


AnySetting = Setting[int] | Setting[float] | Setting[str] | Setting[Path] | Setting[date]


def display_default(s: AnySetting) -> str:
    default = s.default
    if isinstance(default, Path):
        return default.relative_to(PROJECT_ROOT).as_posix() if default.is_relative_to(PROJECT_ROOT) else str(default)
    return str(default)


RAW_DIR: Setting[Path] = Setting(
    "raw_dir", PROJECT_ROOT / "geodata" / "raw",
    "Folder of source files as found (never edited); input of `python -m pipeline build`.")
BUNDLE_DIR: Setting[Path] = Setting(
    "bundle_dir", PROJECT_ROOT / "geodata" / "bundle",
    "Folder of the built, committed layers (GeoParquet) and manifest.json that the dashboard reads.")
WORKSPACE_DIR: Setting[Path] = Setting(
    "workspace_dir", PROJECT_ROOT / "workspace",
    "Folder where imported (user-supplied) layers are saved; git-ignored. Not permanent on Streamlit Community Cloud.")
MAX_UPLOAD_MB: Setting[int] = Setting(
    "max_upload_mb", 100,
    "Largest file accepted by an import, in MiB (the dashboard's uploader uses the same limit); the default "
    "admits a 100,000-row ACLED export (about 54 MiB).", minimum=1)
MAX_FEATURES: Setting[int] = Setting(
    "max_features", 1_000_000,
    "Most rows or features one imported file may hold.", minimum=1)
MAX_UNZIPPED_MB: Setting[int] = Setting(
    "max_unzipped_mb", 200,
    "Largest total uncompressed size of a zip archive accepted by an import, in MiB.", minimum=1)
STRIP_TOLERANCE_M: Setting[float] = Setting(
    "strip_tolerance_m", 500.0,
    "How far (metres) outside the Strip outline a feature may lie and still count as inside "
    "(digitising differences between sources).", minimum=0)
OFFSHORE_BAND_M: Setting[float] = Setting(
    "offshore_band_m", 25_000.0,
    "Imported events at sea off the Strip's coast (west of it, e.g. ACLED's 'Coast of Gaza City': naval fire, "
    "fishers) up to this many metres from the outline are kept, flagged `offshore` with their distance, and "
    "counted by the governorate the row names.", minimum=0)
BORDER_BAND_M: Setting[float] = Setting(
    "border_band_m", 2_000.0,
    "Imported events on land just outside the Strip (the fence, the crossings) up to this many metres from the "
    "outline are kept, flagged `border` with their distance, and counted by the governorate the row names.",
    minimum=0)
MAX_TEXT_CHARS: Setting[int] = Setting(
    "max_text_chars", 5_000,
    "Longest text value (notes, names, sources) an import keeps; a longer one is cut to this many characters "
    "with a warning naming its row and field.", minimum=100)
MAX_EVENT_FATALITIES: Setting[int] = Setting(
    "max_event_fatalities", 10_000,
    "Most fatalities one imported event may report; a larger (or negative) count is refused with its row and "
    "field.", minimum=1)
MAX_VERTICES: Setting[int] = Setting(
    "max_vertices", 100_000,
    "Most vertices one imported feature (polygon, line) may have; a larger feature is refused with its feature "
    "number (simplify it first: the map cannot draw it for anyone).", minimum=4)
IMPORT_TIME_LIMIT_S: Setting[float] = Setting(
    "import_time_limit_s", 120.0,
    "Longest an import may run, in seconds (waiting for another import to finish saving included); a longer one "
    "stops with a message and stores nothing.", minimum=0.001)
MAX_REPORT_CHARS: Setting[int] = Setting(
    "max_report_chars", 100_000,
    "Longest report text (pasted or uploaded on the Places page) read for places and figures, in characters; "
    "the rest is left out and the page says so.", minimum=1_000)
MAP_POINT_LIMIT: Setting[int] = Setting(
    "map_point_limit", 5_000,
    "Most events of one imported layer the map draws as points for a date; more in the window and the layer is "
    "drawn as counts per block (and per governorate for events in no block), as the legend says.", minimum=1)
GRID_PUBLISHED_ON: Setting[date] = Setting(
    "grid_published_on", date(2023, 12, 1),
    "Default start ('since') of the cumulative evacuation-order metrics: the day the block grid was published.")
DEFAULT_DATE: Setting[date] = Setting(
    "default_date", date(2023, 12, 2),
    "Date the dashboard opens on: the shipped scenario (truce collapse, 2 December 2023).")
SLASH_DATES: Setting[str] = Setting(
    "slash_dates", "day-first",
    "How an imported column of slash dates (`02/12/2023`) is read when no value settles it (no part above 12): "
    "`day-first` (the convention in Gaza and in OCHA and ACLED exports) or `month-first` (US spreadsheets). A "
    "column with a first part above 12 is day-first and one with a second part above 12 month-first, whatever "
    "this says; the import report names the order used.")

DASHBOARD_URL: Setting[str] = Setting(
    "dashboard_url", "http://localhost:8501",
    "Base URL of the dashboard; the situation report (`python -m pipeline sitrep`) links to the same view there.")

DATABASE_URL: Setting[str] = Setting(
    "database_url", "",
    "PostgreSQL/PostGIS connection URL (`postgresql://user:password@host:5432/db`) for the workspace; empty: "
    "imported layers are files in `workspace_dir`. Also read from `[connections.workspace] url` in "
    "`.streamlit/secrets.toml` (Community Cloud: *Settings → Secrets*).")
EDITORS: Setting[str] = Setting(
    "editors", "",
    "Comma-separated signed-in users (e-mail addresses) who may import and may rename or delete any layer; "
    "empty: every visitor may import, and renames or deletes only their own layers.")
MAX_LAYERS: Setting[int] = Setting(
    "max_layers", 50,
    "Most layers the workspace holds; an import that would exceed it is refused (delete layers first).", minimum=1)
MAX_MAP_LAYERS: Setting[int] = Setting(
    "max_map_layers", 10,
    "Most imported layers the map draws at once (the newest first); the page says when some are left out.",
    minimum=1)

SETTINGS: dict[str, AnySetting] = {
    s.name: s for s in (RAW_DIR, BUNDLE_DIR, WORKSPACE_DIR, MAX_UPLOAD_MB, MAX_FEATURES, MAX_UNZIPPED_MB,
                        STRIP_TOLERANCE_M, OFFSHORE_BAND_M, BORDER_BAND_M, MAX_TEXT_CHARS, MAX_EVENT_FATALITIES,
                        MAX_VERTICES, IMPORT_TIME_LIMIT_S, MAX_REPORT_CHARS, MAP_POINT_LIMIT, GRID_PUBLISHED_ON,
                        DEFAULT_DATE, SLASH_DATES, DASHBOARD_URL, DATABASE_URL, EDITORS, MAX_LAYERS, MAX_MAP_LAYERS)
}


def get(setting: Setting[T]) -> T:
    """The current value of ``setting``, of its declared type (a malformed override raises SettingError)."""
    return setting.value


def check_all() -> None:
    """Read every setting once, so a malformed override stops at start-up, not midway through a task."""
    for s in SETTINGS.values():
        _ = s.value


def settings_table() -> str:
    """Markdown table of every setting (kept in the README; a test checks it is current)."""
    rows = ["| setting | environment variable | default | what it does |", "|---|---|---|---|"]
    for s in SETTINGS.values():
        rows.append(f"| `{s.name}` | `{s.env}` | `{display_default(s)}` | {s.help} |")
    return "\n".join(rows)
