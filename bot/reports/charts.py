"""The report's charts: one PNG each and a one-PDF summary, titles, axes and legends in the report's language.

matplotlib draws off-screen: figures made without pyplot render with the Agg backend, need no
display on a server and hold no global state between reports. A number masked in the
tables (under the threshold) is drawn as 0, and the footnote says so, so a chart never shows
what a table hides.
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.dates import AutoDateLocator, DateFormatter, date2num
from matplotlib.figure import Figure

from bot.reports.categories import Categories
from bot.reports.figures import IN_HOURS, OUT_OF_HOURS, UNKNOWN_HOURS, Figures
from bot.reports.labels import label

Drawing = Callable[[Figures, Categories, str, int], Figure]


def _shown(value: object, threshold: int) -> float:
    return 0.0 if not isinstance(value, int | float) or (isinstance(value, int) and 0 < value < threshold) else float(value)


def _figure(title: str, lang: str, threshold: int) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(10, 5.5))
    axes = figure.subplots()
    axes.set_title(title)
    figure.text(0.01, 0.01, label(lang, "small_cells").format(threshold=threshold), fontsize=7, color="#555555")
    return figure, axes


def _finished(figure: Figure, axes: Axes, xlabel: str, ylabel: str, legend: str | None = None) -> Figure:
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.legend(title=legend)
    figure.tight_layout(rect=(0, 0.03, 1, 1))  # above the footnote
    return figure


def contacts_over_time(figures: Figures, _categories: Categories, lang: str, threshold: int) -> Figure:
    table = figures["timeline"]
    figure, axes = _figure(label(lang, "contacts_over_time"), lang, threshold)
    days = date2num([date.fromisoformat(day) for day in table.column(table.columns[0])])
    for column in ("people", "conversations"):
        axes.plot(days, [_shown(value, threshold) for value in table.column(column)], marker="o", label=label(lang, column))
    axes.xaxis.set_major_locator(AutoDateLocator())
    axes.xaxis.set_major_formatter(DateFormatter("%Y-%m-%d"))  # the same in every language: month names would be English
    axes.tick_params(axis="x", labelrotation=30)
    axes.set_ylim(bottom=0)
    return _finished(figure, axes, label(lang, table.columns[0]), label(lang, "count"))


def topics_by_language(figures: Figures, categories: Categories, lang: str, threshold: int) -> Figure:
    table = figures["topics"]
    figure, axes = _figure(label(lang, "topics_by_language"), lang, threshold)
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in table.where():
        totals[row["language"]][row["category"]] += _shown(row["messages"], threshold)
    names = list(dict.fromkeys(row["category"] for row in table.where()))
    bottom = [0.0] * len(names)
    for language, counts in sorted(totals.items()):
        heights = [counts.get(name, 0.0) for name in names]
        axes.bar([categories.label(name, lang) if name in categories.labels else label(lang, name) for name in names], heights, bottom=bottom, label=language)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.tick_params(axis="x", labelrotation=30)
    return _finished(figure, axes, label(lang, "category"), label(lang, "messages"), label(lang, "language"))


def handovers_by_reason(figures: Figures, _categories: Categories, lang: str, threshold: int) -> Figure:
    table = figures["handovers"]
    figure, axes = _figure(label(lang, "handovers_by_reason"), lang, threshold)
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for row in table.where():
        totals[(row["reason"], row["hours"])] += row["handovers"]
    reasons = sorted({reason for reason, _ in totals})
    width = 0.27
    for offset, hours in enumerate((IN_HOURS, OUT_OF_HOURS, UNKNOWN_HOURS)):
        heights = [_shown(totals.get((reason, hours), 0), threshold) for reason in reasons]
        if any(heights):
            axes.bar([index + offset * width for index in range(len(reasons))], heights, width, label=label(lang, hours))
    axes.set_xticks([index + width for index in range(len(reasons))], [label(lang, reason) for reason in reasons], rotation=20)
    return _finished(figure, axes, label(lang, "reason"), label(lang, "handovers"), label(lang, "hours"))


def wait_by_hours(figures: Figures, _categories: Categories, lang: str, threshold: int) -> Figure:
    table = figures["waits"]
    figure, axes = _figure(label(lang, "wait_by_hours"), lang, threshold)
    rows = table.where()
    medians = [0.0 if 0 < row["replied"] < threshold else float(row["median_wait_minutes"] or 0) for row in rows]
    bars = axes.bar([label(lang, row["hours"]) for row in rows], medians, label=label(lang, "median_wait_minutes"))
    axes.bar_label(bars, fmt="%.0f")
    return _finished(figure, axes, label(lang, "hours"), label(lang, "minutes"))


CHARTS: dict[str, Drawing] = {
    "contacts_over_time": contacts_over_time,
    "topics_by_language": topics_by_language,
    "handovers_by_reason": handovers_by_reason,
    "wait_by_hours": wait_by_hours,
}


def write_charts(figures: Figures, categories: Categories, folder: Path, lang: str, threshold: int) -> list[Path]:
    """One PNG per chart, and all of them in one PDF, the summary to send."""
    folder.mkdir(parents=True, exist_ok=True)
    prefix = figures.period.name.replace("..", "_")
    written = []
    summary = folder / f"{prefix}_report_{lang}.pdf"
    with PdfPages(summary, metadata={"Title": f"{label(lang, 'report')} {figures.period.name}"}) as pdf:
        for name, draw in CHARTS.items():
            figure = draw(figures, categories, lang, threshold)
            path = folder / f"{prefix}_{name}_{lang}.png"
            figure.savefig(path, dpi=110)
            pdf.savefig(figure)
            written.append(path)
    return [*written, summary]
