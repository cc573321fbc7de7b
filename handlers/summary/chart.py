"""The summary's chart: the day's new reports by regency/city, stacked by their current state.

Made to be read on a phone in two seconds: horizontal bars (long region names stay legible), the
largest on top, the total at the end of each bar, large type, 1080 px wide. Matplotlib's object API
with the Agg canvas only: no pyplot, so no global figure state and no GUI backend, safe in a thread.
"""

from __future__ import annotations

import io
from typing import Final

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from handlers.common.regions import RegionCatalog
from handlers.common.when import format_long_date
from handlers.summary.figures import SummaryFigures, num, region_name
from locales import t, tn
from storage.models import ReportState

WIDTH_PX: Final = 1080
DPI: Final = 100
MAX_BARS: Final = 10  # more bars than this stop being readable at a glance
BAR_INCHES: Final = 0.75
FRAME_INCHES: Final = 3.0  # title, legend and axis
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


def _bars(figures: SummaryFigures, regions: RegionCatalog) -> list[tuple[str, dict[ReportState, int]]]:
    return [(region_name(regions, r.region_id), dict(r.by_state)) for r in figures.by_region[:MAX_BARS]]


def _axis_label(figures: SummaryFigures, locale: str) -> str:
    # The rest are named in a line, not drawn: one long "others" bar would dwarf the regions that lead.
    label = t(locale, "summary.chart_xlabel")
    rest = figures.by_region[MAX_BARS:]
    if rest:
        reports = sum(r.total for r in rest)
        label += "\n" + tn(locale, "summary.chart_others", len(rest), count=num(len(rest), locale),
                           reports=tn(locale, "count.reports", reports, n=num(reports, locale)))
    return label


def chart_png(figures: SummaryFigures, regions: RegionCatalog, locale: str) -> bytes:
    """A PNG, WIDTH_PX wide; taller with more regions."""
    bars = _bars(figures, regions)
    height = FRAME_INCHES + BAR_INCHES * max(1, len(bars))
    figure = Figure(figsize=(WIDTH_PX / DPI, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels = [name for name, _ in bars]
    positions = list(range(len(bars)))
    left = [0] * len(bars)
    for state in ReportState:
        values = [counts.get(state, 0) for _, counts in bars]
        if not any(values):
            continue  # only states that occur get a colour in the legend
        axes.barh(positions, values, left=left, height=0.7, color=STATE_COLOURS[state],
                  label=t(locale, f"state.{state}"))
        left = [a + b for a, b in zip(left, values, strict=True)]
    for position, total in zip(positions, left, strict=True):
        axes.text(total, position, f" {num(total, locale)}", va="center", ha="left", fontsize=18,
                  fontweight="bold")
    axes.set_yticks(positions, labels, fontsize=18)
    axes.invert_yaxis()  # the largest on top, where the eye starts
    axes.set_xlim(0, max(left, default=0) * 1.15 + 1)
    axes.tick_params(axis="x", labelsize=14)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # reports come whole
    axes.set_xlabel(_axis_label(figures, locale), fontsize=15)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.grid(axis="x", alpha=0.3)
    axes.set_axisbelow(True)
    title = t(locale, "summary.chart_title")
    figure.suptitle(f"{title}\n{format_long_date(figures.day, locale)}", fontsize=22, fontweight="bold")
    if axes.get_legend_handles_labels()[0]:
        # Above the bars, under the title: the colours are read before the bars are.
        axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.01), ncol=4, fontsize=15, frameon=False,
                    handlelength=1.2, columnspacing=1.0)
    buffer = io.BytesIO()
    # No "Software" stamp: the same figures draw the same bytes, whichever matplotlib made them.
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
