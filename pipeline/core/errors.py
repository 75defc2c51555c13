"""The few error types the pipeline raises, each caught once at the UI or CLI edge.

An :class:`InputError`'s reason and fix may be :class:`pipeline.core.i18n.Message` sentences
(``msg(N_("..."), ...)``): ``message()`` is the English, :func:`error_text` writes the stored error of a report
in another language.
"""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.core.i18n import DEFAULT, N_, isolate, localise, translate


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


def error_text(error: Mapping[str, object], lang: str) -> str:
    """The sentence of a stored error (:meth:`InputError.as_dict`) in ``lang``: where (file, row, field), why and
    the fix, each part translated; in English the report's own sentence (:meth:`InputError.message`)."""
    row, reason, fix = error.get("row"), str(error.get("reason") or ""), error.get("fix")
    if lang == DEFAULT:
        return InputError(reason, file=_text(error.get("file")), row=row if isinstance(row, (int, str)) else None,
                          field=_text(error.get("field")), fix=_text(fix)).message()
    where = []
    if error.get("file"):
        where.append(isolate(str(error["file"])))
    if row is not None:
        where.append(translate(N_("feature/row {row}"), lang).format(row=row))
    if error.get("field"):
        where.append(translate(N_("field {field}"), lang).format(field=isolate(str(error["field"]))))
    why = localise(error.get("reason") or "", lang) or isolate(reason)
    text = "، ".join(where) + ": " + why if where else why
    if fix:
        text += translate(N_(" (fix: {fix})"), lang).format(fix=localise(fix, lang) or isolate(str(fix)))
    return text


def _text(value: object) -> str | None:
    return None if value is None else str(value)


class LayerValidationError(InputError):
    """A layer fails its schema or geometry checks."""


class BundleError(RuntimeError):
    """The bundle is missing or inconsistent (run ``python -m pipeline build``)."""


class SettingError(ValueError):
    """A ``GDM_*`` environment variable holds a value its setting does not accept."""
