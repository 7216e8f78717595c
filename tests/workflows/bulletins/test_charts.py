"""The charts are plain SVG (no script, text drawn as paths), and published charts leave small units out."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest

from workflows.bulletins import charts, selectors, srb


def rows() -> list[selectors.Row]:
    month = dt.date(2026, 3, 1)
    return [
        selectors.Row("县人民医院", srb.Cell(1, month, 560, 440), unit_kind="facility", period_label="2026-03"),
        selectors.Row("Centre A", srb.Cell(2, month, 7, 3), unit_kind="facility", period_label="2026-03"),
        selectors.Row("Town A2", srb.Cell(3, month, 12, 0), unit_kind="township", period_label="2026-03"),
    ]


def test_published_funnels_leave_out_small_units_and_units_without_girls() -> None:
    points, left_out = selectors.funnel_points(rows(), published=True)
    assert [p.label for p in points] == ["县人民医院"] and left_out == 2
    points, left_out = selectors.funnel_points(rows(), published=False)
    assert [p.label for p in points] == ["县人民医院", "Centre A"] and left_out == 1
    assert points[0].flag == srb.WARNING


def test_the_svg_has_no_script_and_no_text_to_need_a_font() -> None:
    svg, left_out = selectors.funnel_svg(rows(), title="漏斗图 <&>", published=True)
    assert left_out == 2
    assert svg.startswith("<svg ") and 'aria-label="漏斗图 &lt;&amp;&gt;"' in svg
    assert "<script" not in svg and "<text" not in svg and "onload" not in svg and "<?xml" not in svg
    series = selectors.series_svg(rows(), title="series", published=True)
    assert "<script" not in series and series.startswith("<svg ")


def test_charts_render_as_png_for_the_pdf() -> None:
    points, _left_out = selectors.funnel_points(rows(), published=True)
    image = charts.render(charts.funnel_figure, points, selectors.funnel_texts("t"), fmt="png")
    assert image[:8] == b"\x89PNG\r\n\x1a\n"


# --- Drawn once per points and words ------------------------------------------------------------------


@pytest.fixture
def drawings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The titles of the charts matplotlib draws from here on. A drawing version of the test's own, so that no
    chart kept by an earlier test or run (the shared cache outlives both) answers for it."""
    monkeypatch.setattr(charts, "DRAWING_VERSION", uuid.uuid4().hex)
    drawn: list[str] = []
    draw = charts.draw

    def counted(build: Any, *args: Any, fmt: str, title: str = "") -> Any:
        drawn.append(title)
        return draw(build, *args, fmt=fmt, title=title)

    monkeypatch.setattr(charts, "draw", counted)
    return drawn


def charts_of(page: str) -> list[str]:
    return [part.split("</svg>")[0] for part in page.split('class="bulletin-chart"')[1:]]


@pytest.mark.django_db
def test_a_bulletin_s_charts_are_drawn_once_per_language_and_a_dead_cache_costs_a_drawing(
    driver: Any, births: Any, drawings: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from .test_paths import compiled

    w = driver.world
    url = driver.url("process_detail", compiled(births, w))
    first = driver.client(w.officer).get(url).content.decode()
    assert len(drawings) == 2 and first.count('class="bulletin-chart"') == 2
    again = driver.client(w.inspector).get(url).content.decode()
    assert len(drawings) == 2  # kept: another reader, the same charts
    assert charts_of(again) == charts_of(first)
    chinese = driver.client(w.officer).get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert len(drawings) == 4 and charts_of(chinese) != charts_of(first)  # other words, other charts

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("cache down")

    from django.conf import settings
    from django.core.cache import caches

    monkeypatch.setattr(caches[settings.BULLETIN_CHARTS_CACHE], "get", unreachable)
    down = driver.client(w.officer).get(url)
    assert down.status_code == 200 and down.content.decode().count('class="bulletin-chart"') == 2
    assert len(drawings) == 6  # drawn, not lost


@pytest.mark.django_db
def test_the_analysis_draws_a_chart_again_only_when_its_points_change(
    driver: Any, births: Any, drawings: list[str]
) -> None:
    from workflows.bulletins.flows import BulletinFlow

    from .conftest import MONTH, a_month_of_births

    w = driver.world
    a_month_of_births(births, w)
    url = BulletinFlow.instance.reverse("analysis")
    march = {"start": "2026-03", "end": "2026-03", "unit": "facility"}
    first = driver.client(w.officer).get(url, march).content.decode()
    assert len(drawings) == 2 and first.count('class="bulletin-chart"') == 2
    driver.client(w.officer).get(url, march)
    assert len(drawings) == 2  # the same points and words: kept
    driver.client(w.officer).get(url, {**march, "unit": "township"})
    assert len(drawings) == 2  # another table, but the charts' points are the same: kept
    births.add(w.hospital_a, MONTH, 10, 30)  # more births recorded: the same filters, other points
    driver.client(w.officer).get(url, march)
    assert drawings[2:] == drawings[:2]  # both drawn afresh: never a stale chart


def test_the_drawing_version_follows_the_limits_the_charts_draw(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """A change of the control limits or the natural range (srb) is a new drawing: no kept chart shows the old."""
    assert charts._drawing_version() == charts.DRAWING_VERSION
    changed = tmp_path / "srb.py"
    changed.write_text(Path(srb.__file__).read_text(encoding="utf-8") + "\nNATURAL_HIGH = 108.0\n", encoding="utf-8")
    monkeypatch.setattr(srb, "__file__", str(changed))
    assert charts._drawing_version() != charts.DRAWING_VERSION
