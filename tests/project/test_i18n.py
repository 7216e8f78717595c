"""The Chinese interface renders Chinese, viewflow's own strings included."""

from __future__ import annotations

from typing import Any


def test_login_page_in_chinese(client: Any, db: Any) -> None:
    client.cookies["django_language"] = "zh-hans"
    body = client.get("/accounts/login/").content.decode()
    assert 'lang="zh-hans"' in body
    assert "登录" in body
    assert "Log in" not in body


def test_switching_language_sets_the_cookie(client: Any, db: Any) -> None:
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "zh-hans"


def test_workspace_in_chinese(client: Any, world: Any, login: Any) -> None:
    login(world.officer)
    client.cookies["django_language"] = "zh-hans"
    body = client.get("/workspace/").content.decode()
    assert "工作台" in body
    assert "局办事员" in body or "卫生健康局" in body  # the role's Chinese name
    assert "Workspace" not in body


def test_javascript_catalogue_is_served_in_chinese(client: Any, db: Any) -> None:
    client.cookies["django_language"] = "zh-hans"
    response = client.get("/jsi18n/")
    assert response.status_code == 200
    assert "django.catalog" in response.content.decode()
