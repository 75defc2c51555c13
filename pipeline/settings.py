"""Project settings: each declared once, with its help text.

Values can be overridden with environment variables named ``GDM_<NAME>``.
``tests/test_settings.py`` fails when a setting has no help text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str

    @property
    def value(self) -> object:
        raw = os.environ.get(f"GDM_{self.name.upper()}")
        if raw is None:
            return self.default
        if isinstance(self.default, bool):
            return raw.lower() in {"1", "true", "yes", "on"}
        if isinstance(self.default, int):
            return int(raw)
        if isinstance(self.default, float):
            return float(raw)
        if isinstance(self.default, Path):
            return Path(raw)
        return raw


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in [
        Setting("raw_dir", PROJECT_ROOT / "geodata" / "raw",
                "Folder of source files as found (never edited); input of `python -m pipeline build`."),
        Setting("bundle_dir", PROJECT_ROOT / "geodata" / "bundle",
                "Folder of the built, committed layers (GeoParquet) and manifest.json that the dashboard reads."),
        Setting("workspace_dir", PROJECT_ROOT / "workspace",
                "Folder where imported (user-supplied) layers are saved; git-ignored. Not permanent on Streamlit Community Cloud."),
        Setting("max_upload_mb", 50,
                "Largest file accepted by an import, in MiB (the dashboard's uploader uses the same limit)."),
        Setting("max_features", 1_000_000,
                "Most rows or features one imported file may hold."),
        Setting("max_unzipped_mb", 200,
                "Largest total uncompressed size of a zip archive accepted by an import, in MiB."),
        Setting("strip_tolerance_m", 500.0,
                "How far (metres) outside the Strip outline a feature may lie and still count as inside (digitising differences between sources)."),
        Setting("grid_published_on", "2023-12-01",
                "Default start ('since') of the cumulative evacuation-order metrics: the day the block grid was published."),
        Setting("default_date", "2023-12-02",
                "Date the dashboard opens on: the shipped scenario (truce collapse, 2 December 2023)."),
    ]
}


def get(name: str) -> object:
    """Return the current value of setting ``name``."""
    return SETTINGS[name].value


def settings_table() -> str:
    """Markdown table of every setting (kept in the README; a test checks it is current)."""
    rows = ["| setting | environment variable | default | what it does |", "|---|---|---|---|"]
    for s in SETTINGS.values():
        default = s.default
        if isinstance(default, Path):
            default = default.relative_to(PROJECT_ROOT).as_posix() if default.is_relative_to(PROJECT_ROOT) else default
        rows.append(f"| `{s.name}` | `GDM_{s.name.upper()}` | `{default}` | {s.help} |")
    return "\n".join(rows)
