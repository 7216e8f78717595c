"""The funnel plot and the time series, drawn on the server with matplotlib (docs/bulletins.md, "Charts").

Pages embed the SVG as markup: no script, nothing for the content security
policy to refuse. Text is drawn as paths (``svg.fonttype = "path"``), so a
reader's browser or printer needs no Chinese font; the PDF takes a PNG of the
same figure. Matplotlib is imported on first use (it is slow to import) and
only through its object API, never pyplot's global state, so that two requests
drawing at once do not share a figure.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches

from . import srb

# A CJK font first, so that Chinese labels are drawn; DejaVu Sans (matplotlib's own) for the rest.
FONT_FAMILIES = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans CJK JP", "DejaVu Sans"]
NATURAL_COLOUR = "#2e7d32"
WARNING_COLOUR = "#f9a825"
ALARM_COLOUR = "#c62828"
POINT_COLOUR = "#1565c0"


@dataclass(frozen=True)
class FunnelPoint:
    label: str
    births: int
    ratio: float
    flag: str
    kind: str  # "facility" or "township": drawn with different markers


@dataclass(frozen=True)
class SeriesPoint:
    label: str  # the period, e.g. "2026-03"
    births: int
    ratio: float | None
    low: float | None  # the 95% interval, as SRB
    high: float | None


@dataclass(frozen=True)
class Texts:
    """The words on a chart, already in the reader's language."""

    title: str
    x_label: str
    y_label: str
    natural: str
    warning: str
    alarm: str
    facilities: str = ""
    townships: str = ""
    interval: str = ""


def _rc() -> dict[str, Any]:
    return {
        "svg.fonttype": "path",
        "svg.hashsalt": "regflow",  # stable element ids: the same figure gives the same bytes
        "font.family": "sans-serif",
        "font.sans-serif": FONT_FAMILIES,
        "axes.unicode_minus": False,
        "font.size": 9,
    }


def _figure(width: float = 7.0, height: float = 4.2) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _cap(value: float, top: float) -> float:
    return top if math.isinf(value) or value > top else value


def funnel_figure(points: Sequence[FunnelPoint], texts: Texts) -> Any:
    """SRB against births for each unit, with the control limits around 105 at 95% and 99.8%."""
    figure = _figure()
    axes = figure.add_subplot()
    most = max([p.births for p in points] + [50])
    ns = list(range(5, int(most * 1.1) + 2, max(1, int(most / 200))))
    top = 200.0
    for z, colour, label in ((srb.Z_WARNING, WARNING_COLOUR, texts.warning), (srb.Z_ALARM, ALARM_COLOUR, texts.alarm)):
        limits = [srb.funnel_limits(n, z) for n in ns]
        axes.plot(ns, [_cap(low, top) for low, _high in limits], color=colour, linewidth=1, label=label)
        axes.plot(ns, [_cap(high, top) for _low, high in limits], color=colour, linewidth=1)
    axes.axhspan(srb.NATURAL_LOW, srb.NATURAL_HIGH, color=NATURAL_COLOUR, alpha=0.15, label=texts.natural)
    axes.axhline(srb.NATURAL_CENTRE, color=NATURAL_COLOUR, linewidth=0.8)
    for kind, marker, label in (("facility", "o", texts.facilities), ("township", "s", texts.townships)):
        chosen = [p for p in points if p.kind == kind]
        if not chosen:
            continue
        colours = [ALARM_COLOUR if p.flag == srb.ALARM else WARNING_COLOUR if p.flag else POINT_COLOUR for p in chosen]
        axes.scatter(
            [p.births for p in chosen],
            [_cap(p.ratio, top) for p in chosen],
            c=colours,
            marker=marker,
            s=28,
            edgecolors="black",
            linewidths=0.4,
            label=label,
            zorder=3,
        )
        for p in chosen:
            if p.flag:
                axes.annotate(
                    p.label, (p.births, _cap(p.ratio, top)), fontsize=7, xytext=(4, 4), textcoords="offset points"
                )
    axes.set_ylim(60, top)
    axes.set_xlim(0, most * 1.1)
    axes.set_title(texts.title)
    axes.set_xlabel(texts.x_label)
    axes.set_ylabel(texts.y_label)
    axes.legend(loc="upper right", fontsize=7)
    axes.grid(alpha=0.3)
    return figure


def series_figure(points: Sequence[SeriesPoint], texts: Texts) -> Any:
    """The SRB period by period, with its 95% interval as a band and the natural range behind it."""
    figure = _figure(7.0, 3.6)
    axes = figure.add_subplot()
    xs = list(range(len(points)))
    top = 200.0
    axes.axhspan(srb.NATURAL_LOW, srb.NATURAL_HIGH, color=NATURAL_COLOUR, alpha=0.15, label=texts.natural)
    # A period without a ratio (no births, no girls, or a withheld count in a published chart) is a gap (NaN).
    nan = float("nan")
    ratios = [nan if p.ratio is None else _cap(p.ratio, top) for p in points]
    lows = [nan if p.ratio is None or p.low is None else _cap(p.low, top) for p in points]
    highs = [nan if p.ratio is None or p.high is None else _cap(p.high, top) for p in points]
    if any(r == r for r in ratios):  # NaN is the one value not equal to itself
        axes.fill_between(xs, lows, highs, color=POINT_COLOUR, alpha=0.2, label=texts.interval)
        axes.plot(xs, ratios, color=POINT_COLOUR, marker="o")
    axes.set_xticks(xs, [p.label for p in points], rotation=45, fontsize=7)
    axes.set_ylim(60, top)
    axes.set_title(texts.title)
    axes.set_xlabel(texts.x_label)
    axes.set_ylabel(texts.y_label)
    axes.legend(loc="upper right", fontsize=7)
    axes.grid(alpha=0.3)
    return figure


_XML_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.DOTALL)


def _drawing_version() -> str:
    """What a chart of given points and words looks like depends on this module, on the control limits and
    natural range it draws (srb) and on matplotlib."""
    import matplotlib

    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(Path(srb.__file__).read_bytes())
    digest.update(matplotlib.__version__.encode())
    return digest.hexdigest()[:16]


DRAWING_VERSION = _drawing_version()
KEPT_SECONDS = 24 * 60 * 60
log = logging.getLogger(__name__)


def _plain(value: Any) -> Any:
    """A chart's inputs as JSON: its points and words (dataclasses, translated strings) by value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def render(build: Callable[..., Any], *args: Any, fmt: str, title: str = "") -> Any:
    """``draw``, for a page (``fmt="svg"``), drawn once per points, words and drawing version.

    matplotlib takes about a tenth of a second a chart, and the same chart is asked for again and again (a
    bulletin's, whose content never changes once compiled; the analysis of a county's last months). The
    key is what is drawn, so a kept chart is never stale: new births or another language are other points
    or other words. Charts are kept a day in ``BULLETIN_CHARTS_CACHE`` (Redis, shared by every process,
    when ``REDIS_URL`` is set); a cache that cannot answer costs a drawing, never the page.
    """
    if fmt != "svg":
        return draw(build, *args, fmt=fmt, title=title)
    inputs = json.dumps([build.__module__, build.__qualname__, title, args], default=_plain, sort_keys=True)
    key = f"bulletins:chart:{DRAWING_VERSION}:{hashlib.sha256(inputs.encode()).hexdigest()}"
    cache: Any = caches[settings.BULLETIN_CHARTS_CACHE]
    try:
        kept = cache.get(key)
    except Exception as error:  # a cache that cannot answer is a miss
        log.warning("chart cache unavailable (%s): drawing", type(error).__name__)
        return draw(build, *args, fmt=fmt, title=title)
    if kept is not None:
        return kept
    drawn = draw(build, *args, fmt=fmt, title=title)
    try:
        cache.set(key, drawn, KEPT_SECONDS)
    except Exception as error:  # nor one that cannot keep
        log.warning("chart cache unavailable (%s): not kept", type(error).__name__)
    return drawn


def draw(build: Callable[..., Any], *args: Any, fmt: str, title: str = "") -> Any:
    """Draw ``build(*args)`` under the chart settings (fonts are chosen as the texts are made) and save it:
    ``fmt="svg"`` gives markup to embed in a page (no XML prologue, a title for screen readers), "png" bytes."""
    import matplotlib
    from django.utils.html import escape

    with matplotlib.rc_context(_rc()):
        figure = build(*args)
        if fmt == "png":
            data = io.BytesIO()
            figure.savefig(data, format="png", dpi=200)
            return data.getvalue()
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    markup = _XML_PROLOGUE.sub("", out.getvalue(), count=1)
    return markup.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" class="bulletin-chart" ', 1)
