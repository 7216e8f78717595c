"""Who reads which bulletin and analysis: outsiders get 404, inspectors read and change nothing, bad input
gets a clear error, and the analysis pages cost a fixed number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from workflows.bulletins.flows import BulletinFlow as F
from workflows.bulletins.models import Bulletin, Stage

from .conftest import MONTH, a_month_of_births
from .test_paths import compiled

pytestmark = pytest.mark.django_db


def pages(driver: Any, bulletin: Bulletin) -> list[str]:
    return [
        driver.url("process_detail", bulletin),
        driver.url("export", bulletin, fmt="pdf"),
        driver.url("export", bulletin, fmt="xlsx"),
        driver.url("process_chart", bulletin),
    ]


def test_outsiders_get_404_from_every_page_of_another_countys_bulletin(driver: Any, births: Any) -> None:
    w = driver.world
    bulletin = driver.publish(compiled(births, w))
    for user in (w.officer_b, w.chief_b, w.inspector_b, w.director_b, w.clerk_b):
        client = driver.client(user)
        for url in pages(driver, bulletin):
            assert client.get(url).status_code == 404, (user.username, url)
        assert client.post(driver.url("withdraw", bulletin), {"reason": "x"}).status_code == 404


def test_facility_staff_see_only_published_bulletins_and_clerks_none(driver: Any, births: Any) -> None:
    w = driver.world
    bulletin = compiled(births, w)
    assert driver.client(w.director).get(driver.url("process_detail", bulletin)).status_code == 404  # a draft
    bulletin = driver.publish(bulletin)
    assert driver.client(w.director).get(driver.url("process_detail", bulletin)).status_code == 200
    assert driver.client(w.clerk).get(driver.url("process_detail", bulletin)).status_code == 404
    listing = driver.client(w.director).get(F.instance.reverse("index")).content.decode()
    assert driver.url("process_detail", bulletin) in listing


def test_the_inspector_and_supervisor_read_everything_of_the_county_and_change_nothing(
    driver: Any, births: Any
) -> None:
    w = driver.world
    bulletin = compiled(births, w)
    for user in (w.inspector, w.supervisor):
        client = driver.client(user)
        for url in pages(driver, bulletin):
            assert client.get(url).status_code == 200, (user.username, url)
        task = driver.open_task(bulletin, F.review)
        assert driver.claim(user, task).status_code in {403, 404}
        assert client.post(driver.url("withdraw", bulletin), {"reason": "x"}).status_code == 404
        assert client.post(driver.url("export", bulletin, fmt="pdf")).status_code == 405
    assert Bulletin.objects.get(pk=bulletin.pk).stage == Stage.REVIEW


def test_a_facility_director_cannot_review_or_sign(driver: Any, births: Any) -> None:
    w = driver.world
    bulletin = compiled(births, w)
    assert driver.claim(w.director, driver.open_task(bulletin, F.review)).status_code in {403, 404}


def test_an_unknown_export_format_is_404_not_500(driver: Any, births: Any) -> None:
    w = driver.world
    bulletin = compiled(births, w)
    assert driver.client(w.officer).get(driver.url("export", bulletin, fmt="docx")).status_code == 404


# --- The analysis ------------------------------------------------------------------------------


def analysis(driver: Any, user: Any, **params: str) -> Any:
    return driver.client(user).get(F.instance.reverse("analysis"), params)


def test_the_analysis_shows_counts_beside_the_ratio_and_flags_only_what_the_interval_supports(
    driver: Any, births: Any
) -> None:
    w = driver.world
    a_month_of_births(births, w)
    response = analysis(driver, w.officer, start="2026-03", end="2026-03", unit="facility")
    page = response.content.decode()
    assert response.status_code == 200
    hospital = page[page.index(">Hospital A<") :][:900]
    assert ">560<" in hospital and ">440<" in hospital and ">1000<" in hospital and "127.3" in hospital
    assert "bulletin-warning" in hospital
    centre = page[page.index(">Centre A<") :][:900]
    assert ">7<" in centre and ">3<" in centre and "233.3" in centre and "bulletin-warning" not in centre
    assert "Hospital B" not in page  # another county
    assert page.count('class="bulletin-chart"') == 2


def test_the_analysis_by_township_and_quarter(driver: Any, births: Any) -> None:
    w = driver.world
    a_month_of_births(births, w)
    page = analysis(driver, w.inspector, start="2026-01", end="2026-06", unit="township", period="quarter").content
    text = page.decode()
    assert "2026 Q1" in text and "Town A1" in text and "Town A2" in text
    town = text[text.index(">Town A1<") :][:600]
    assert ">567<" in town and ">443<" in town


def test_a_facility_director_sees_only_the_own_facility(driver: Any, births: Any) -> None:
    w = driver.world
    a_month_of_births(births, w)
    page = analysis(driver, w.director, start="2026-03", end="2026-03").content.decode()
    assert "Hospital A" in page and "Centre A" not in page and "Clinic A2" not in page
    # Another facility or county named in the query is not offered: a clear error, nothing shown.
    refused = analysis(driver, w.director, scope=f"county:{w.county_a.pk}")
    assert refused.status_code == 400 and "Centre A" not in refused.content.decode()


def test_people_without_a_scope_are_refused_the_analysis(driver: Any) -> None:
    w = driver.world
    assert analysis(driver, w.clerk).status_code == 403
    assert analysis(driver, w.expert1).status_code == 403


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-13"},
        {"start": "x"},
        {"end": "2026-03", "start": "2026-05"},
        {"start": "1990-01"},
        {"start": "2000-01", "end": "2026-01"},
        {"unit": "person"},
        {"period": "week"},
        {"scope": "county:99999999999999999999"},
        {"scope": "\x00"},
        {"start": "2026-03-01"},
    ],
)
def test_bad_period_parameters_get_a_clear_error(driver: Any, births: Any, params: dict[str, str]) -> None:
    response = analysis(driver, driver.world.officer, **params)
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()


def test_full_width_digits_read_as_the_same_month(driver: Any, births: Any) -> None:
    response = analysis(driver, driver.world.officer, start="２０２６-０３", end="2026-03")
    assert response.status_code == 200 and "2026-03" in response.content.decode()


def test_the_analysis_costs_the_same_queries_whatever_the_rows(driver: Any, births: Any) -> None:
    w = driver.world
    client = driver.client(w.officer)
    url = F.instance.reverse("analysis")
    births.add(w.hospital_a, MONTH, 50, 50)
    client.get(url, {"start": "2026-03", "end": "2026-03"})
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"start": "2026-03", "end": "2026-03"})
    for month in range(1, 13):
        for facility in (w.hospital_a, w.centre_a, w.clinic_a2):
            births.add(facility, MONTH.replace(year=2025, month=month), 40 + month, 40)
    with CaptureQueriesContext(connection) as many:
        client.get(url, {"start": "2025-01", "end": "2026-03"})
    assert len(many) == len(few)


def test_the_bulletin_list_costs_the_same_queries_whatever_the_rows(driver: Any, births: Any) -> None:
    import datetime as dt

    from .scene import bulletin_compile

    w = driver.world
    client = driver.client(w.officer)
    url = F.instance.reverse("index")
    bulletin_compile(county=w.county_a, month=dt.date(2025, 1, 1))
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for month in range(2, 13):
        bulletin_compile(county=w.county_a, month=dt.date(2025, month, 1))
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert "2025-12" in page and "2025-02" in page
    assert len(many) == len(few)
