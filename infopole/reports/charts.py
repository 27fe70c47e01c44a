"""Charts for the documents: PNG bytes from plain lists, drawn with matplotlib's Agg canvas.

No pyplot: a ``Figure`` bound to its own Agg canvas keeps no global state, so reports can be
built from the dashboard's threads. DejaVu Sans has every Cyrillic glyph and ships with
matplotlib itself, so the charts render the same on any server.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from contextlib import AbstractContextManager

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

CURRENT, PREVIOUS, ACCENT = "#1f5f99", "#a9c4de", "#c0392b"
DPI = 150


def _style() -> AbstractContextManager[None]:
    return rc_context({"font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 10})


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def _short(label: str, limit: int = 28) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def compare_bars(
    labels: Sequence[str],
    current: Sequence[float],
    previous: Sequence[float],
    title: str,
    legend: tuple[str, str] = ("отчётная неделя", "предыдущая неделя"),
) -> bytes:
    """Horizontal pairs of bars, biggest on top: this period against the previous one."""
    with _style():
        figure = Figure(figsize=(6.3, 0.35 * max(len(labels), 3) + 1.0))
        axes = figure.add_subplot()
        positions = list(range(len(labels)))[::-1]
        height = 0.38
        axes.barh([p + height / 2 for p in positions], current, height, color=CURRENT, label=legend[0])
        axes.barh([p - height / 2 for p in positions], previous, height, color=PREVIOUS, label=legend[1])
        axes.set_yticks(positions, [_short(label) for label in labels])
        axes.set_title(title)
        axes.legend(loc="lower right", frameon=False)
        axes.spines[["top", "right"]].set_visible(False)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        return _png(figure)


def daily_lines(
    days: Sequence[str], series: dict[str, Sequence[float]], title: str, dashed: Sequence[str] = ()
) -> bytes:
    """Posts per day: each series a line (a shorter one stops early: days still to come);
    the ``dashed`` ones are the previous period."""
    with _style():
        figure = Figure(figsize=(6.3, 2.6))
        axes = figure.add_subplot()
        colors = [CURRENT, ACCENT, "#2e8b57", PREVIOUS]
        for (name, values), color in zip(series.items(), colors * 2, strict=False):
            style = "--" if name in dashed else "-"
            axes.plot(
                list(days)[: len(values)],
                list(values),
                style,
                marker="o",
                markersize=3,
                color=color,
                label=name,
            )
        axes.set_title(title)
        axes.legend(frameon=False, fontsize=8)
        axes.spines[["top", "right"]].set_visible(False)
        axes.set_ylim(bottom=0)
        return _png(figure)


def single_bars(labels: Sequence[str], values: Sequence[float], title: str, unit: str = "") -> bytes:
    """One horizontal bar per label with its value printed at the end."""
    with _style():
        figure = Figure(figsize=(6.3, 0.35 * max(len(labels), 3) + 0.9))
        axes = figure.add_subplot()
        positions = list(range(len(labels)))[::-1]
        bars = axes.barh(positions, values, 0.6, color=CURRENT)
        axes.bar_label(bars, [f"{v:g}{unit}".replace(".", ",") for v in values], padding=3, fontsize=8)
        axes.set_yticks(positions, [_short(label, 40) for label in labels])
        axes.set_title(title)
        axes.spines[["top", "right"]].set_visible(False)
        axes.margins(x=0.15)
        return _png(figure)
