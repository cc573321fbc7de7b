"""The summary's chart: the day's new reports by regency/city, stacked by their current state.

Made to be read on a phone in two seconds, where Telegram shows it about 400 px wide: horizontal bars
(long region names stay legible), the largest on top, the total at the end of each bar and the day's
total in the title, type sized for that 400 px (a 22 pt label drawn at 1080 px is ~11 px there). Every
region with a report gets its bar and the image grows taller with them: an "others" bucket hid half a
busy day. Matplotlib's object API with the Agg canvas only: no pyplot, so no global figure state and no
GUI backend, safe in a thread.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Final, TypeVar

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from handlers.common.regions import RegionCatalog
from handlers.common.when import format_long_date
from handlers.summary.figures import SummaryFigures, num, region_name
from locales import t
from storage.models import ReportState

WIDTH_PX: Final = 1080
DPI: Final = 100
BAR_INCHES: Final = 0.62  # one region's row: 62 px here, ~23 px on a phone, room for its 22 pt name
FRAME_INCHES: Final = 3.6  # title, legend and axis
LEGEND_COLUMNS: Final = 3  # "Needs information" still fits a third of the width at the legend's size
TITLE_PT: Final = 28
TEXT_PT: Final = 22  # region names, totals, legend, axis numbers and the footnote alike
# Okabe–Ito colours (safe for colour-blind readers); "baru" in vermilion because it needs attention.
STATE_COLOURS: Final[dict[ReportState, str]] = {
    ReportState.BARU: "#D55E00",
    ReportState.DIPROSES: "#0072B2",
    ReportState.BUTUH_INFO: "#E69F00",
    ReportState.TERVERIFIKASI: "#56B4E9",
    ReportState.DITERUSKAN: "#CC79A7",
    ReportState.SELESAI: "#009E73",
    ReportState.DITOLAK: "#999999",
}
_T = TypeVar("_T")


def _bars(figures: SummaryFigures, regions: RegionCatalog, locale: str) -> list[tuple[str, dict[ReportState, int]]]:
    return [(region_name(regions, r.region_id, locale), dict(r.by_state)) for r in figures.by_region]


def row_major(items: Sequence[_T], columns: int) -> list[_T]:
    """`items` reordered so that a legend filled column by column reads row by row in the given order.

    Matplotlib fills a legend's columns top to bottom, the first columns one longer when the count does
    not divide: that is exactly the shape of a row-major grid with a short last row, so transposing the
    grid keeps the workflow order (baru, diproses, …) for a reader going left to right.
    """
    rows = math.ceil(len(items) / columns) if items else 0
    return [
        items[row * columns + column]
        for column in range(columns)
        for row in range(rows)
        if row * columns + column < len(items)
    ]


def chart_figure(figures: SummaryFigures, regions: RegionCatalog, locale: str) -> Figure:
    """The chart drawn on its own Agg canvas, WIDTH_PX wide; taller with more regions."""
    bars = _bars(figures, regions, locale)
    height = FRAME_INCHES + BAR_INCHES * max(1, len(bars))
    figure = Figure(figsize=(WIDTH_PX / DPI, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels = [name for name, _ in bars]
    positions = list(range(len(bars)))
    left = [0] * len(bars)
    for state in ReportState:  # the enum is in workflow order
        values = [counts.get(state, 0) for _, counts in bars]
        if not any(values):
            continue  # only states that occur get a colour in the legend
        axes.barh(
            positions, values, left=left, height=0.75, color=STATE_COLOURS[state], label=t(locale, f"state.{state}")
        )
        left = [a + b for a, b in zip(left, values, strict=True)]
    for position, total in zip(positions, left, strict=True):
        axes.text(
            total, position, f" {num(total, locale)}", va="center", ha="left", fontsize=TEXT_PT, fontweight="bold"
        )
    axes.set_yticks(positions, labels, fontsize=TEXT_PT)
    axes.set_ylim(len(bars) - 0.5, -0.5)  # the largest on top, where the eye starts; no empty margin
    axes.set_xlim(0, max(left, default=0) * 1.18 + 1)  # room for the total after the longest bar
    axes.tick_params(axis="x", labelsize=TEXT_PT)
    axes.tick_params(axis="y", length=0)
    axes.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))  # reports come whole; few, big numbers
    axes.set_xlabel(t(locale, "summary.chart_xlabel"), fontsize=TEXT_PT)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.grid(axis="x", alpha=0.3)
    axes.set_axisbelow(True)
    title = t(locale, "summary.chart_title", total=num(figures.new_reports, locale))
    figure.suptitle(f"{title}\n{format_long_date(figures.day, locale)}", fontsize=TITLE_PT, fontweight="bold")
    handles, names = axes.get_legend_handles_labels()
    if handles:
        # Above the bars, under the title: the colours are read before the bars are.
        axes.legend(
            row_major(handles, LEGEND_COLUMNS),
            row_major(names, LEGEND_COLUMNS),
            loc="lower left",
            bbox_to_anchor=(0.0, 1.01, 1.0, 0.1),
            mode="expand",
            ncols=LEGEND_COLUMNS,
            fontsize=TEXT_PT,
            frameon=False,
            handlelength=1.0,
            handletextpad=0.4,
            columnspacing=0.8,
            borderaxespad=0.0,
        )
    return figure


def chart_png(figures: SummaryFigures, regions: RegionCatalog, locale: str) -> bytes:
    """The chart as a PNG."""
    figure = chart_figure(figures, regions, locale)
    buffer = io.BytesIO()
    # No "Software" stamp: the same figures draw the same bytes, whichever matplotlib made them.
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
