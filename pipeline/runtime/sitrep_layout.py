"""Text flow for the report page: measured word wrap, paragraphs and table rows, left to right or right to left.

Positions are inches from the page's bottom-left corner. A :class:`Column` is a vertical strip of the page
with a cursor that moves down as text is placed; every line is measured with the font it is drawn in, so
lines never run into a neighbouring column and blocks never overlap. Right-to-left columns anchor text at
their right edge and mirror table columns; each line starts with a right-to-left mark so a line that opens
with a number or a Latin name still reads right to left.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.text import Text

from pipeline.core.i18n import LRI, PDI, isolate
from pipeline.runtime.sitrep_text import RLM

LEADING = {False: 1.3, True: 1.45}  # line height / font size; Arabic marks (shadda, damma) sit higher
MEASURE_DPI = 600  # fine enough that hinting does not round small sizes' widths
# A paragraph's lines fill this much of their column: a line drawn at screen resolution (hinted) runs up to 3%
# wider than its measure (a line of Latin source names in the footer did), and must still stay inside the margin.
FILL = 0.96


class Measure:
    """Widths of text in inches, by the font and size it is drawn in (cached per word; thread-safe).

    A line's width is the sum of its words' and spaces' widths: words are shaped on their own (Arabic
    letters never join across a space), and kerning across a space is nil in DejaVu Sans.
    """

    def __init__(self) -> None:
        # Typed as the base class, whose stub declares the measuring method: matplotlib's backend_agg module
        # carries no annotations, so constructing its renderer is an untyped call.
        self._r: RendererBase = RendererAgg(100, 100, MEASURE_DPI)  # type: ignore[no-untyped-call]
        self._cache: dict[tuple[str, float, str], float] = {}
        self._lock = threading.Lock()

    def _one(self, text: str, size: float, weight: str) -> float:
        key = (text, size, weight)
        if key not in self._cache:
            with self._lock:
                w, _, _ = self._r.get_text_width_height_descent(text, FontProperties(size=size, weight=weight),
                                                                 ismath=False)
            self._cache[key] = w / MEASURE_DPI
        return self._cache[key]

    def width(self, text: str, size: float, weight: str = "normal") -> float:
        words = [x for x in text.replace(LRI, "").replace(PDI, "").split(" ")]
        space = self._one("a a", size, weight) - 2 * self._one("a", size, weight)
        return sum(self._one(x, size, weight) for x in words if x) + space * (len(words) - 1)

    def wrap(self, text: str, size: float, width: float, weight: str = "normal") -> list[str]:
        """Greedy word wrap of ``text`` to ``width`` inches (a word longer than the width gets a line of its own)."""
        lines: list[str] = []
        space = self.width("a a", size, weight) - 2 * self.width("a", size, weight)
        for para in text.split("\n"):
            cur, cur_w = "", 0.0
            for word in para.split():
                ww = self.width(word, size, weight)
                if cur and cur_w + space + ww > width:
                    lines.append(cur)
                    cur, cur_w = word, ww
                else:
                    cur, cur_w = (f"{cur} {word}", cur_w + space + ww) if cur else (word, ww)
            lines.append(cur)
        return _carry_isolates(lines)

    def fit(self, text: str, size: float, width: float, weight: str = "normal") -> str:
        """``text`` cut to ``width`` inches with an ellipsis (the longest prefix that fits: binary search)."""
        if self.width(text, size, weight) <= width:
            return text
        lo, hi = 0, len(text)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.width(text[:mid].rstrip() + "…", size, weight) <= width:
                lo = mid
            else:
                hi = mid - 1
        return text[:lo].rstrip() + "…"


def _carry_isolates(lines: list[str]) -> list[str]:
    """Close a left-to-right isolate a line break cuts (and reopen it on the next line), so a Latin source
    name that wraps keeps its parentheses and order on both lines of a right-to-left paragraph."""
    out, carry = [], False
    for line in lines:
        line = (LRI + line) if carry else line
        carry = line.count(LRI) > line.count(PDI)
        out.append(line + PDI if carry else line)
    return out


@dataclass
class Column:
    """A strip of the page from ``x0`` to ``x1`` (inches) with a cursor ``y`` (top of the next line)."""

    fig: Figure
    measure: Measure
    x0: float
    x1: float
    y: float
    rtl: bool = False
    scale: float = 1.0  # every font size times this (a page that runs long is redrawn a little smaller)
    texts: list[Text] = field(default_factory=list)

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    def _put(self, x: float, y: float, text: str, size: float, weight: str, colour: str, ha: str) -> None:
        s = RLM + text if self.rtl else text
        self.texts.append(self.fig.text(x, y, s, transform=self.fig.dpi_scale_trans, fontsize=size,
                                        fontweight=weight, color=colour, ha=ha, va="top"))

    def para(self, text: str, size: float = 7.0, *, weight: str = "normal", colour: str = "#222222",
             after: float = 2.0, max_lines: int | None = None) -> None:
        """A wrapped paragraph; ``after`` points of space below it."""
        size, after = size * self.scale, after * self.scale
        lines = self.measure.wrap(text, size, self.width * FILL, weight)
        if max_lines is not None and len(lines) > max_lines:
            lines = lines[:max_lines - 1] + [self.measure.fit(" ".join(lines[max_lines - 1:]), size,
                                                              self.width * FILL, weight)]
        x, ha = (self.x1, "right") if self.rtl else (self.x0, "left")
        for line in lines:
            self._put(x, self.y, line, size, weight, colour, ha)
            self.y -= size * LEADING[self.rtl] / 72
        self.y -= after / 72

    def row(self, cells: list[str], stops: list[tuple[float, float, str]], size: float = 6.5, *,
            weight: str = "normal", colour: str = "#222222", after: float = 0.5) -> None:
        """One table row: ``stops`` are (start, end, align) as fractions of the width, left to right;
        mirrored on a right-to-left page. Cells are cut to their column with an ellipsis."""
        size, after = size * self.scale, after * self.scale
        for text, (a, b, align) in zip(cells, stops, strict=True):
            if self.rtl:
                a, b = 1 - b, 1 - a
                align = {"left": "right", "right": "left"}.get(align, align)
            lo, hi = self.x0 + a * self.width, self.x0 + b * self.width
            cell = self.measure.fit(text.replace(LRI, "").replace(PDI, ""), size, (hi - lo) * 0.96, weight)
            cell = isolate(cell) if self.rtl else cell
            x = {"left": lo, "right": hi, "center": (lo + hi) / 2}[align]
            self._put(x, self.y, cell, size, weight, colour, align)
        self.y -= size * LEADING[self.rtl] / 72 + after / 72

    def rule(self, colour: str = "#bbbbbb", after: float = 2.0) -> None:
        self.fig.add_artist(Line2D([self.x0, self.x1], [self.y, self.y], transform=self.fig.dpi_scale_trans,
                                   color=colour, linewidth=0.5))
        self.y -= after * self.scale / 72

