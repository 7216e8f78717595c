"""The Chinese interface renders Chinese, viewflow's own strings included."""

from __future__ import annotations

import ast
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import polib
import pytest
import viewflow
from django.utils import translation


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


def served_catalogue(client: Any, language: str) -> dict[str, Any]:
    """The translations /jsi18n/ hands the browser (the object the script assigns to its catalogue)."""

    client.cookies["django_language"] = language
    response = client.get("/jsi18n/")
    assert response.status_code == 200
    found = re.search(r"const newcatalog = (\{.*?\});\n", response.content.decode(), re.S)
    return json.loads(found.group(1)) if found else {}  # Django leaves the block out when there is nothing


def test_javascript_catalogue_is_served_in_chinese(client: Any, db: Any) -> None:
    catalogue = served_catalogue(client, "zh-hans")
    # Known entries of viewflow's catalogue (locale/viewflow): an empty or English catalogue fails here.
    assert catalogue["January"] == "一月"
    assert catalogue["three letter Monday\x04Mon"] == "周一"  # msgctxt, then EOT, then msgid
    assert all(re.search(r"[\u4e00-\u9fff]", str(value)) for value in catalogue.values() if value), catalogue
    assert len(catalogue) >= 40
    assert served_catalogue(client, "en") == {}


def test_locked_out_page_is_chinese_with_the_source_link_and_switcher(client: Any, world: Any) -> None:
    client.cookies["django_language"] = "zh-hans"
    for _ in range(5):
        response = client.post("/accounts/login/", {"username": "clerk", "password": "wrong"})
    assert response.status_code == 429
    body = response.content.decode()
    assert "失败次数过多" in body
    assert "源代码" in body
    assert 'name="language"' in body
    assert "Too many failed attempts" not in body


# --- viewflow's own strings (locale/viewflow) ------------------------------------

BASE_DIR = Path(__file__).resolve().parents[2]
VIEWFLOW_MESSAGES = BASE_DIR / "locale" / "viewflow" / "zh_Hans" / "LC_MESSAGES"
OUR_MESSAGES = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES"
VIEWFLOW_PACKAGE = Path(viewflow.__file__).resolve().parent


def _keys(path: Path) -> set[tuple[str | None, str]]:
    return {(entry.msgctxt, entry.msgid) for entry in polib.pofile(str(path))}


def test_every_viewflow_string_is_shown_in_chinese() -> None:
    translated = polib.pofile(str(OUR_MESSAGES / "django.po")).translated_entries()
    ours = {entry.msgid: entry for entry in translated if not entry.msgctxt}
    entries = polib.pofile(str(VIEWFLOW_MESSAGES / "django.po"))
    assert len(entries) > 150
    with translation.override("zh-hans"):
        for entry in entries:
            # Where our catalogue has the same msgid, ours wins (it is first in LOCALE_PATHS).
            expected = ours[entry.msgid] if entry.msgid in ours and not entry.msgctxt else entry
            if entry.msgid_plural:
                shown = translation.ngettext(entry.msgid, entry.msgid_plural, 2)
                assert shown == expected.msgstr_plural[0], entry.msgid
            elif entry.msgctxt:
                assert translation.pgettext(entry.msgctxt, entry.msgid) == expected.msgstr, entry.msgid
            else:
                assert translation.gettext(entry.msgid) == expected.msgstr, entry.msgid
                assert expected.msgstr, entry.msgid


def test_viewflow_menu_words_use_the_approval_office_terms() -> None:
    with translation.override("zh-hans"):
        assert translation.gettext("Inbox") == "待办"
        assert translation.gettext("Queue") == "待认领"
        assert translation.gettext("Archive") == "已办"
        assert translation.gettext("Assign") == "认领"
        assert translation.gettext("Unassign") == "取消认领"
        assert translation.pgettext("STATUS", "Done") == "已完成"


_TEMPLATE_TRANS = re.compile(r"""{%\s*trans(?:late)?\s+(["'])(.+?)\1\s*(?:context\s+(["'])(.+?)\3\s*)?%}""")
_GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy"}


def _python_msgids(source: str) -> set[tuple[str | None, str]]:
    """Literal (context, msgid) pairs of gettext calls; an AST, so that examples in docstrings don't count."""
    found: set[tuple[str | None, str]] = set()
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _GETTEXT_NAMES):
            continue
        literals = [arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
        if node.func.id.startswith("pgettext") and len(literals) == 2:
            found.add((literals[0], literals[1]))
        elif not node.func.id.startswith("pgettext") and len(literals) == 1 == len(node.args):
            found.add((None, literals[0]))
    return found


def test_the_catalogue_holds_every_literal_string_of_the_installed_viewflow() -> None:
    """Fails after a viewflow upgrade until `make messages` has refreshed locale/viewflow."""
    found: set[tuple[str | None, str]] = set()
    for template in VIEWFLOW_PACKAGE.glob("templates/**/*.html"):
        for match in _TEMPLATE_TRANS.finditer(template.read_text()):
            found.add((match.group(4), match.group(2)))
    for module in VIEWFLOW_PACKAGE.glob("**/*.py"):
        found |= _python_msgids(module.read_text())
    assert len(found) > 100  # the patterns still match viewflow's style
    assert found - _keys(VIEWFLOW_MESSAGES / "django.po") == set()


_JS_GETTEXT = re.compile(r"""\bgettext\(\s*(["'])(.+?)\1\s*\)""")
_JS_PGETTEXT = re.compile(r"""\bpgettext\(\s*(["'])(.+?)\1\s*,\s*(["'])(.+?)\3\s*\)""")


def test_the_javascript_catalogue_holds_every_string_of_viewflows_scripts() -> None:
    # viewflow.min.js renames gettext when minified; its source map keeps the original calls.
    source_map = json.loads((VIEWFLOW_PACKAGE / "static/viewflow/js/viewflow.min.js.map").read_text())
    found: set[tuple[str | None, str]] = set()
    for source in source_map["sourcesContent"]:
        found |= {(None, match.group(2)) for match in _JS_GETTEXT.finditer(source or "")}
        found |= {(match.group(2), match.group(4)) for match in _JS_PGETTEXT.finditer(source or "")}
    assert len(found) >= 40
    assert found - _keys(VIEWFLOW_MESSAGES / "djangojs.po") == set()


def test_javascript_catalogue_serves_viewflows_date_and_selection_strings(client: Any, db: Any) -> None:
    client.cookies["django_language"] = "zh-hans"
    body = client.get("/jsi18n/").content.decode()
    for text in ["一月", "周一", "已选 %(sel)s 项"]:
        assert json.dumps(text)[1:-1] in body, text
    assert json.dumps("three letter Monday\x04Mon")[1:-1] in body  # pgettext's context key


def test_javascript_catalogue_is_english_for_english_users(client: Any, db: Any) -> None:
    body = client.get("/jsi18n/").content.decode()
    assert json.dumps("一月")[1:-1] not in body


# --- .ci/check_catalogues.py ------------------------------------------------------


def _load_checker() -> Any:
    spec = importlib.util.spec_from_file_location("check_catalogues", BASE_DIR / ".ci" / "check_catalogues.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _catalogue(path: Path, *entries: polib.POEntry) -> polib.POFile:
    path.parent.mkdir(parents=True, exist_ok=True)
    catalogue = polib.POFile()
    catalogue.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Plural-Forms": "nplurals=1; plural=0;"}
    catalogue.extend(entries)
    catalogue.save(str(path))
    return catalogue


@pytest.fixture
def locale_tree(tmp_path: Path) -> Path:
    locale = tmp_path / "locale"
    _catalogue(locale / "zh_Hans/LC_MESSAGES/django.po", polib.POEntry(msgid="Inbox", msgstr="待办"))
    _catalogue(locale / "viewflow/zh_Hans/LC_MESSAGES/djangojs.po", polib.POEntry(msgid="May", msgstr="五月"))
    return locale


def run_checker(locale: Path, *argv: str) -> int:
    required = ["zh_Hans/LC_MESSAGES/django.po", "viewflow/zh_Hans/LC_MESSAGES/djangojs.po"]
    return int(_load_checker().main(list(argv), locale=locale, required=required))


def test_catalogue_check_passes_complete_compiled_catalogues(locale_tree: Path) -> None:
    assert run_checker(locale_tree, "--compile") == 0
    assert (locale_tree / "viewflow/zh_Hans/LC_MESSAGES/djangojs.mo").exists()
    assert run_checker(locale_tree) == 0


def test_catalogue_check_refuses_a_missing_mo(locale_tree: Path) -> None:
    assert run_checker(locale_tree) == 1


def test_catalogue_check_refuses_an_untranslated_entry_in_the_viewflow_catalogue(locale_tree: Path) -> None:
    _catalogue(locale_tree / "viewflow/zh_Hans/LC_MESSAGES/djangojs.po", polib.POEntry(msgid="June", msgstr=""))
    assert run_checker(locale_tree, "--compile") == 1


def test_catalogue_check_refuses_a_fuzzy_entry(locale_tree: Path) -> None:
    _catalogue(
        locale_tree / "viewflow/zh_Hans/LC_MESSAGES/djangojs.po",
        polib.POEntry(msgid="June", msgstr="六月", flags=["fuzzy"]),
    )
    assert run_checker(locale_tree, "--compile") == 1


def test_catalogue_check_refuses_a_stale_mo(locale_tree: Path) -> None:
    assert run_checker(locale_tree, "--compile") == 0
    _catalogue(locale_tree / "viewflow/zh_Hans/LC_MESSAGES/djangojs.po", polib.POEntry(msgid="May", msgstr="5月"))
    assert run_checker(locale_tree) == 1


def test_catalogue_check_refuses_a_missing_required_catalogue(locale_tree: Path) -> None:
    (locale_tree / "zh_Hans/LC_MESSAGES/django.po").unlink()
    assert run_checker(locale_tree, "--compile") == 1


def test_catalogue_check_passes_the_committed_catalogues() -> None:
    assert _load_checker().main([]) == 0


# Words our catalogue translates differently from Django's, guardian's or viewflow's own catalogue, on purpose:
# a synonym in the bureaus' usage for the same meaning. Our catalogue comes first (LOCALE_PATHS), so every other
# shared word takes its meaning everywhere, the admin and viewflow's pages included: a word of ours with another
# meaning takes a context (pgettext) instead. "Home" as a place of residence turned the admin's breadcrumb into it.
SAME_MEANING_OTHER_WORD = {
    "Action",
    "Administration",
    "Change my password",
    "Filter",
    "History",
    "Page not found",
    "Remove",
    "Search",
    "URL",
    "object id",
}


def test_no_word_of_ours_changes_the_meaning_of_a_word_django_or_viewflow_show() -> None:
    from django.apps import apps
    from django.conf import settings

    base = Path(settings.BASE_DIR)
    ours = polib.pofile(str(base / "locale/zh_Hans/LC_MESSAGES/django.po"))
    theirs: dict[tuple[str | None, str], set[str]] = {}
    dirs = [base / "locale/viewflow", base / "locale/thirdparty"]
    dirs += [Path(app.path) / "locale" for app in apps.get_app_configs() if not app.path.startswith(str(base))]
    dirs.append(Path(importlib.util.find_spec("django").origin).parent / "conf/locale")  # type: ignore[arg-type,union-attr]
    for directory in dirs:
        catalogue = directory / "zh_Hans/LC_MESSAGES/django.po"
        if catalogue.exists():
            for entry in polib.pofile(str(catalogue)):
                if entry.msgstr and not entry.obsolete:
                    theirs.setdefault((entry.msgctxt, entry.msgid), set()).add(entry.msgstr)
    assert len(theirs) > 400, f"Django's and viewflow's catalogues were not found ({len(theirs)} words)"
    clashes = [
        f"{entry.msgid!r}: ours {entry.msgstr!r}, theirs {sorted(theirs[(entry.msgctxt, entry.msgid)])}"
        for entry in ours
        if (entry.msgctxt, entry.msgid) in theirs
        and entry.msgstr not in theirs[(entry.msgctxt, entry.msgid)]
        and entry.msgid not in SAME_MEANING_OTHER_WORD
    ]
    assert not clashes, "give these a context (pgettext), or list a true synonym above:\n  " + "\n  ".join(clashes)


def test_the_admin_says_home_for_home_in_chinese(admin_client: Any) -> None:
    admin_client.cookies["django_language"] = "zh-hans"
    body = admin_client.get("/admin/auth/group/").content.decode()
    assert "首页" in body
    assert "居住地" not in body


def test_every_section_of_the_chinese_admin_is_named_in_chinese(admin_client: Any) -> None:
    from django.apps import apps

    from project.apps import ProjectConfig

    assert isinstance(apps.get_app_config("project"), ProjectConfig)  # a second config in apps.py must not win
    admin_client.cookies["django_language"] = "zh-hans"
    body = admin_client.get("/admin/").content.decode()
    captions = re.findall(r"<caption>\s*<a[^>]*>(.*?)</a>", body, re.S)
    assert captions, "the admin index lists no app"
    assert "登录尝试记录" in captions
    assert not [caption for caption in captions if re.fullmatch(r"[A-Za-z ]+", caption.strip())]
