"""The few error types the pipeline raises, each caught once at the UI or CLI edge."""

from __future__ import annotations


class InputError(ValueError):
    """A source or uploaded file cannot be used as it is.

    Carries the file, the row or feature, the field and the reason, so the
    message tells a person what to fix.
    """

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        row: int | str | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.reason = reason
        self.file = file
        self.row = row
        self.field = field
        self.fix = fix
        super().__init__(self.message())

    def message(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"feature/row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        text = (": ".join([", ".join(where), self.reason]) if where else self.reason)
        if self.fix:
            text += f" (fix: {self.fix})"
        return text

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "row": self.row, "field": self.field,
                "reason": self.reason, "fix": self.fix}


class LayerValidationError(InputError):
    """A layer fails its schema or geometry checks."""


class BundleError(RuntimeError):
    """The bundle is missing or inconsistent (run ``python -m pipeline build``)."""


class SettingError(ValueError):
    """A ``GDM_*`` environment variable holds a value its setting does not accept."""
