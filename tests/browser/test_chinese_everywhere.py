"""Every page a demo persona reaches reads in Chinese when they chose Chinese.

Each persona logs in with zh-hans, then walks the site as a person clicking around would: from the landing page,
following same-origin links (GET only, breadth first, bounded), plus the main routes. On every page, the visible
text (innerText) and the aria-label, title and placeholder attributes may hold Latin letters only in the allow-list
below: the product's name, codes and numbers, the demo's people and units. Anything else is English or a raw code
left in the Chinese interface, and the test names the page and the words.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest

from ..chromium import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Debian's chromium at {CHROMIUM}"),
]

PAGES_PER_PERSONA = 45
MAIN_ROUTES = ["/", "/workspace/", "/procedures/termination/", "/notifications/", "/audit/", "/admin/"]
# Links a person may follow that are not pages, or that change something on GET, or that leave the language.
NOT_PAGES = re.compile(
    r"/accounts/logout|/i18n/|/jsi18n|/static/|/media/|export\.(csv|pdf)|/export/\w+/|/documents/\d+/|/chart/|\.(svg|png|pdf|csv)$"
)
# The superuser's admin pages of viewflow's engine tables (its column names are not translatable) and the forms
# of users and groups (Django stores permission names in English): database internals, not the application.
ADMIN_INTERNALS = re.compile(r"^/admin/viewflow/|^/admin/auth/(user|group)/(add/|\d+/change/)")

# Latin words that belong in a Chinese page.
ALLOWED_WORDS = {
    "Regflow",  # the product
    "GNU", "AGPL", "UTC", "ID", "QR", "PDF", "JPEG", "PNG", "CSV", "SHA", "Asia", "Shanghai",  # names and standards
    "X",  # the check character of a resident ID number
    "B",  # B超, the Chinese name of a B-mode ultrasound scanner
    "Excel",  # the spreadsheet format the registers export, named so in Chinese too
    "GE", "Vscan", "Air",  # a scanner's make and model, proper names on a device's papers
    "MCH", "DEMO", "FP",  # parts of the demo's licence numbers (MCH-…, DEMO-FP-…), data rather than words
    "BPMN",  # the flow-chart notation, a standard's name
    "Axes",  # django-axes, the login throttling package, as the admin names its app
    "Control", "Command", "Mac", "LDAP",  # as Django's own Chinese help texts name them
    "IP", "HTTP",
    # The demo's user names, shown where a person is named by their login (the admin's header, task owners).
    "admin", "clerk", "director", "expert1", "expert2", "expert3", "officer", "chief", "inspector", "clerk_b",
    "officer_b",
    "kg", "mg", "ml", "mm", "cm", "g", "h", "min", "s", "MB", "KB",  # units
}  # fmt: skip


ALLOWED = {word.lower() for word in ALLOWED_WORDS}


def demo_phrases() -> list[str]:
    """The English half of the demo's bilingual data ("东安县 Dong'an County", "王静 Wang Jing", the reasons its people
    typed): names and free text that the demo writes in both languages, allowed only as whole phrases."""
    root = Path(__file__).resolve().parents[2]
    phrases = set()
    for module in [root / "permissions" / "demo.py", *sorted((root / "workflows").glob("*/demo.py"))]:
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                value = node.value
            elif isinstance(node, ast.JoinedStr):  # f"演示路 {n} 号 No. {n} Demo Road": its text, fields cut
                value = "".join(v.value if isinstance(v, ast.Constant) else "\x00" for v in node.values)
            else:
                continue
            if re.search(r"[\u4e00-\u9fff]", value):
                phrases |= {p.strip() for p in re.findall(r"[A-Za-z][A-Za-z0-9 ,.'’:;()-]*", value)}
    return sorted((p for p in phrases if p), key=len, reverse=True)


# Rows of django-axes name themselves in English (AccessLog.__str__), which no catalogue can translate.
DEMO_PHRASES = [*demo_phrases(), "Access Log for"]
PERSONAS = ["clerk", "director", "expert1", "officer", "chief", "inspector", "clerk_b", "officer_b", "admin"]

# What a page shows: its visible text, and the attributes people hear or see on hover.
SHOWN_JS = """() => {
  // Not words: icon ligatures (Material icons are drawn from words such as "notifications"),
  // and the language switcher, which names each language in its own language on purpose.
  // In the admin, the rows, read-only values and choices are the database's data (user agents, permission names
  // that Django stores in English, codes): the admin's own words around them are checked.
  const icons = ['.material-icons', '.mdc-button__icon', '.vf-icon', '[class*="material-icons"]'];
  const data = [
    '.regflow-language', '#result_list tbody', '.readonly', 'select', '.selector', '#changelist-filter li',
    '#recent-actions-module li',
  ].join(', ');
  const skipped = [...icons, data].join(', ');
  const skip = document.querySelectorAll(skipped);
  const saved = [];
  for (const element of skip) { saved.push([element, element.style.display]); element.style.display = 'none'; }
  const found = [document.body.innerText, document.title];
  for (const [element, display] of saved) element.style.display = display;
  for (const element of document.querySelectorAll('[aria-label],[title],[placeholder]')) {
    if (element.closest(data)) continue;  // an icon's aria-label is read out: it is checked
    for (const name of ['aria-label', 'title', 'placeholder']) {
      if (element.hasAttribute(name)) found.push(element.getAttribute(name));
    }
  }
  return found.join('\\n');
}"""

LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_'’.-]*[A-Za-z0-9]|[A-Za-z]")
CODE = re.compile(r"^[A-Z0-9]+(-[A-Z0-9]+)+$")  # certificate and licence numbers, hashes


def latin_words(text: str) -> set[str]:
    for phrase in DEMO_PHRASES:  # case-blind: buttons show their captions in upper case
        text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(phrase)}(?![A-Za-z0-9])", " ", text, flags=re.IGNORECASE)
    words = set()
    for token in re.split(r"\s+", text):
        if re.fullmatch(r"[0-9a-f]{16,}", token):
            continue  # a hash
        if re.fullmatch(r"https?://\S+", token):
            continue  # a printed address (the verification URL under a certificate's QR code)
        if not re.search(r"[A-Za-z]", token) or (
            re.fullmatch(r"[\w.+-]*\d[\w.+-]*", token) and not re.search(r"[a-z]{3}", token)
        ):
            continue  # numbers and codes such as 990101-2026-000001, 2026-06-01T09:00, 22+3, #11
        for word in LATIN_WORD.findall(token):
            if re.fullmatch(r"[A-Z]{1,3}\d+", word):
                continue  # a model number's head (S60)
            if word.lower() not in ALLOWED and not CODE.match(word):  # case-blind: captions may be upper case
                words.add(word)
    return words


def page_links(tab: Any) -> list[str]:
    hrefs = tab.page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    origin = urlsplit(tab.url)
    found = []
    for href in hrefs:
        url, _fragment = urldefrag(href)
        parts = urlsplit(url)
        if ADMIN_INTERNALS.match(parts.path):
            continue
        if (parts.scheme, parts.netloc) == (origin.scheme, origin.netloc) and not NOT_PAGES.search(parts.path):
            found.append(url[len(tab.url) :] or "/")
    return found


def visit(tab: Any, path: str) -> tuple[int, set[str]]:
    response = tab.page.goto(tab.url + path)
    tab.page.wait_for_load_state("networkidle")
    if response is None or "text/html" not in (response.headers.get("content-type") or ""):
        return (response.status if response else 0), set()
    return response.status, latin_words(tab.page.evaluate(SHOWN_JS))


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_a_persona_reaches_in_chinese_has_no_english(open_tab: Any, persona: str) -> None:
    tab = open_tab("zh-hans")
    tab.log_in(persona)
    queue: deque[str] = deque(["/", *MAIN_ROUTES])
    seen: set[str] = set()
    english: dict[str, set[str]] = {}
    errors: dict[str, int] = {}
    while queue and len(seen) < PAGES_PER_PERSONA:
        path = queue.popleft()
        # One page per shape of URL: /…/12/detail/ stands for every case's detail page.
        shape = re.sub(r"\d+", "N", path.split("?")[0])
        if shape in seen:
            continue
        seen.add(shape)
        status, words = visit(tab, path)
        if status >= 500:
            errors[path] = status
        if status != 200:
            continue  # a main route this persona may not see (404, as designed), or a redirect's end
        if words:
            english[path] = words
        queue.extend(page_links(tab))
    assert errors == {}, errors
    assert english == {}, "\n".join(f"{path}: {' '.join(sorted(words))}" for path, words in english.items())
