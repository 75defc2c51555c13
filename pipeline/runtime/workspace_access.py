"""Who may see and change which workspace layer.

Every layer has an ``owner`` (a signed-in user's e-mail, ``session:<id>`` for a visitor who did not
sign in, or ``cli`` for the command line) and ``shared`` (seen by the whole team). A viewer sees the
shared layers and their own; ACLED rows are shown in detail only to their importer; renames and
deletes are for the owner or an editor (setting ``editors``). When ``editors`` lists anyone, only
they may import; when it is empty, every visitor may import (the local default, as before sign-in
existed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.core import settings

CLI_OWNER = "cli"


@dataclass(frozen=True)
class Viewer:
    """A person looking at the workspace: ``user`` is their e-mail, ``session:<id>`` or ``cli``."""

    user: str
    signed_in: bool = False

    @property
    def editor(self) -> bool:
        return self.user == CLI_OWNER or (self.signed_in and self.user.lower() in editors())


CLI = Viewer(CLI_OWNER)


def editors() -> set[str]:
    """The ``editors`` setting as a set of lower-case names."""
    return {x.strip().lower() for x in settings.get(settings.EDITORS).split(",") if x.strip()}


def may_see(entry: dict[str, Any], viewer: Viewer | None) -> bool:
    """Shared layers, the viewer's own, and (for ``None``: the command line, tests) every layer."""
    if viewer is None or viewer.user == CLI_OWNER:
        return True
    return bool(entry.get("shared", True)) or entry.get("owner") == viewer.user


def may_change(entry: dict[str, Any], viewer: Viewer | None) -> bool:
    """Rename or delete: the owner, an editor, or the command line."""
    return viewer is None or viewer.editor or entry.get("owner") == viewer.user


def may_import(viewer: Viewer | None) -> bool:
    """Anyone while ``editors`` is empty; else the editors (and the command line)."""
    return viewer is None or viewer.editor or not editors()


def sees_detail(entry: dict[str, Any], viewer: Viewer | None) -> bool:
    """ACLED event detail: only for the layer's importer (and the command line)."""
    return viewer is None or entry.get("owner") == viewer.user or not entry.get("acled")
