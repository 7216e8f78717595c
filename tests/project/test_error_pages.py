"""The error pages are Regflow's, in both languages, wherever the error happens.

viewflow ships 400/403/404/500 pages that take their colours and title from the viewflow Site of the URL;
outside the Site's routes (a mistyped address, say) they showed another product's name ("Django Material")
in another colour scheme, and the CSRF refusal was Django's English-only technical page.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from project import views

pytestmark = pytest.mark.django_db

STOCK = ("Django Material", "CSRF verification failed", "Access Forbidden", "could not be found")


def page(response: Any, status: int = 200) -> str:
    """The body of a page that answered ``status`` and is none of the stock pages."""
    assert response.status_code == status
    body = response.content.decode()
    for stock in STOCK:
        assert stock not in body, f"viewflow's or Django's stock page: {stock!r}"
    return body


def title(body: str) -> str:
    match = re.search(r"<title>(.*?)</title>", body, re.S)
    assert match is not None
    return " ".join(match.group(1).split())


def test_an_unknown_address_gets_regflows_404_in_english_and_chinese(client: Any, world: Any) -> None:
    client.force_login(world.users["clerk"])
    response = client.get("/no-such-page/")
    body = page(response, 404)
    assert title(body) == "Page not found - Regflow"
    assert "regflow/regflow.css" in body  # the site's colours, not viewflow's default theme
    assert 'name="language"' in body  # the switcher: the page can be read in the other language

    client.cookies["django_language"] = "zh-hans"
    body = page(client.get("/no-such-page/"), 404)
    assert title(body) == "页面不存在 - Regflow"
    assert "该页面不存在，或您的账户无权查看" in body
    assert "Page not found" not in body


def test_a_refused_page_gets_regflows_403(client: Any, world: Any) -> None:
    client.force_login(world.users["clerk"])
    response = client.get("/procedures/bulletin/analysis/")
    body = page(response, 403)
    assert title(body) == "Not allowed - Regflow"
    assert "not at this stage of the case" in body


def test_a_bad_request_gets_regflows_400(client: Any) -> None:
    response = client.get("/accounts/login/", HTTP_HOST="not-an-allowed-host.example")
    body = page(response, 400)
    assert title(body) == "Bad request - Regflow"


def test_a_form_refused_by_the_csrf_check_says_what_to_do(world: Any) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.cookies["django_language"] = "zh-hans"
    response = browser.post("/accounts/login/", {"username": "clerk", "password": "x"})
    body = page(response, 403)
    assert title(body) == "表单已失效 - Regflow"
    assert "未保存任何内容" in body


def server_error_response() -> Any:
    request = RequestFactory().get("/")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        assert sys.exc_info()[1] is not None
        return views.server_error(request)


def test_the_500_page_is_regflows_and_reads_no_database() -> None:
    with CaptureQueriesContext(connection) as queries:
        response = server_error_response()
    body = page(response, 500)
    assert title(body) == "Something went wrong - Regflow"
    assert "a change is saved whole or not at all" in body
    assert 'name="language"' not in body  # no request, so no switcher (it needs the request's path and token)
    assert len(queries) == 0


def test_a_500_page_that_cannot_render_falls_back_to_djangos_plain_one(monkeypatch: Any) -> None:
    def broken(*args: Any, **kwargs: Any) -> str:
        raise ValueError("a missing static file in the manifest, say")

    monkeypatch.setattr(views, "render_to_string", broken)
    response = server_error_response()
    assert response.status_code == 500
    assert b"Server Error (500)" in response.content


# --- The account pages: Django's admin look replaced too ------------------------------------------------


def test_the_user_menu_leads_to_the_password_page_in_regflows_look(client: Any, world: Any) -> None:
    client.force_login(world.users["clerk"])
    client.cookies["django_language"] = "zh-hans"
    workspace = client.get("/workspace/").content.decode()
    assert 'href="/accounts/password_change/"' in workspace
    assert "修改密码" in workspace
    response = client.get("/accounts/password_change/")
    body = page(response)
    assert "Django" not in body  # the admin's "Django site admin" pages were served here
    assert title(body) == "密码修改 - Regflow"
    assert not re.search(r'help-text="[^"]*<', body)  # the password rules as sentences, not as tags shown as text
    assert "你的密码必须包含至少 10 个字符" in body


@pytest.mark.parametrize(
    ("path", "expected_title"),
    [
        ("/accounts/password_change/done/", "Password change successful - Regflow"),
        ("/accounts/password_reset/", "Password reset - Regflow"),
        ("/accounts/password_reset/done/", "Password reset sent - Regflow"),
        ("/accounts/reset/MQ/not-a-token/", "Password reset unsuccessful - Regflow"),
        ("/accounts/reset/done/", "Password reset complete - Regflow"),
    ],
)
def test_every_account_page_is_regflows(client: Any, world: Any, path: str, expected_title: str) -> None:
    client.force_login(world.users["clerk"])
    body = page(client.get(path))
    assert "Django" not in body
    assert title(body) == expected_title


def test_a_password_reset_link_sets_the_password_on_regflows_page(client: Any, world: Any, settings: Any) -> None:
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = world.users["clerk"]
    link = f"/accounts/reset/{urlsafe_base64_encode(force_bytes(user.pk))}/{default_token_generator.make_token(user)}/"
    form_page = client.get(link, follow=True)  # Django moves the token out of the address first
    body = page(form_page)
    assert title(body) == "Enter new password - Regflow"
    assert not re.search(r'help-text="[^"]*<', body)
    new = "a-new-and-long-passphrase-42"
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_the_admins_password_link_leads_to_the_one_throttled_page(admin_client: Any) -> None:
    response = admin_client.get("/admin/password_change/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_change/"
    body = page(admin_client.get(response["Location"]))
    assert not re.search(r'help-text="[^"]*<', body)
