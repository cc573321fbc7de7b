"""The chart read where it is read, about 400 px wide on a phone: every region, the day's total, the
legend in workflow order and no text too small to read."""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from handlers.common.regions import RegionCatalog
from handlers.summary.chart import DPI, WIDTH_PX, chart_figure, row_major
from handlers.summary.figures import SummaryFigures, num, region_name
from handlers.summary.service import SummaryService
from locales import t
from storage.models import ReportState
from tests.summary.seed import DAY

PHONE_PX = 400
READABLE_PX = 11  # the smallest type a phone reader takes in without zooming


async def _figures(service: SummaryService) -> SummaryFigures:
    return await service.figures(DAY, service.clock())


def _legend_in_reading_order(figure: Figure) -> list[str]:
    legend = figure.axes[0].get_legend()
    assert legend is not None
    figure.canvas.draw()
    # Left to right, row by row: sort by the text's row (top first), then by its x.
    placed = [
        (-round(text.get_window_extent().y0), text.get_window_extent().x0, text.get_text())
        for text in legend.get_texts()
    ]
    return [name for _, _, name in sorted(placed)]


async def test_every_region_with_a_report_gets_its_bar(service: SummaryService, regions: RegionCatalog) -> None:
    figures = await _figures(service)
    assert len(figures.by_region) > 10  # more than the old top ten: none goes into an "others" bucket
    figure = chart_figure(figures, regions, "id")
    labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    assert labels == [region_name(regions, r.region_id) for r in figures.by_region]
    totals = [text.get_text().strip() for text in figure.axes[0].texts]
    assert totals == [num(r.total, "id") for r in figures.by_region]


async def test_the_title_carries_the_days_total(service: SummaryService, regions: RegionCatalog) -> None:
    figures = await _figures(service)
    for locale in ("id", "en"):
        figure = chart_figure(figures, regions, locale)
        assert figure.get_suptitle().split("\n")[0] == t(
            locale, "summary.chart_title", total=num(figures.new_reports, locale)
        )
    assert str(figures.new_reports) in t("id", "summary.chart_title", total=figures.new_reports)


async def test_the_legend_reads_in_workflow_order(service: SummaryService, regions: RegionCatalog) -> None:
    figures = await _figures(service)
    occurring = [s for s in ReportState if any(r.by_state.get(s) for r in figures.by_region)]
    # As the seeded day ended, several states occur (not all: the later moves came after it).
    assert len(occurring) >= 4
    figure = chart_figure(figures, regions, "id")
    assert _legend_in_reading_order(figure) == [t("id", f"state.{s}") for s in ReportState if s in occurring]


def test_row_major_survives_every_count_and_column_count() -> None:
    # Matplotlib's own fill, drawn: a legend of n entries in c columns, read row by row, is 0..n-1.
    for count in range(1, 9):
        for columns in range(1, 5):
            figure = Figure(figsize=(8, 4), dpi=DPI)
            FigureCanvasAgg(figure)
            axes = figure.add_subplot()
            names = [str(i) for i in range(count)]
            handles = [axes.bar([0], [1], label=name)[0] for name in names]
            axes.legend(row_major(handles, columns), row_major(names, columns), ncols=columns)
            assert _legend_in_reading_order(figure) == names, (count, columns)


async def test_no_text_is_too_small_at_phone_width(service: SummaryService, regions: RegionCatalog) -> None:
    figure = chart_figure(await _figures(service), regions, "en")
    figure.canvas.draw()
    axes = figure.axes[0]
    legend = axes.get_legend()
    assert legend is not None
    low, high = axes.get_xlim()
    shown = [label for label in axes.get_xticklabels() if low <= label.get_position()[0] <= high]
    texts: list[Text] = [*shown, *axes.get_yticklabels(), *axes.texts, axes.xaxis.label, *legend.get_texts()]
    scale = PHONE_PX / WIDTH_PX
    for text in texts:
        if text.get_text():
            assert text.get_fontsize() * DPI / 72 * scale >= READABLE_PX, text.get_text()
    # Nothing drawn beyond the canvas: the legend and the longest name fit the width.
    width = figure.bbox.width
    for text in texts:
        if text.get_text():
            extent = text.get_window_extent()
            assert extent.x0 >= 0 and extent.x1 <= width, text.get_text()
