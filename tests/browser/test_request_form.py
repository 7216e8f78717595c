"""The termination request form in a real Chromium: the county's rules follow the answers; rows are added."""

from __future__ import annotations

from typing import Any

import pytest

from ..chromium import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Debian's chromium at {CHROMIUM}"),
]

SUBMIT = "/procedures/termination/submit/"


def required_documents(page: Any) -> list[str]:
    return [item.strip() for item in page.locator("[data-termination-required-documents] li").all_inner_texts()]


def test_the_rules_follow_the_pathway_and_document_rows_are_added(open_tab: Any) -> None:
    tab = open_tab("en")
    tab.log_in("clerk")
    tab.goto(SUBMIT)
    page = tab.page
    # The demo county's threshold, for the clerk's only facility.
    assert "a certificate is needed from 14 weeks" in page.locator("[data-termination-threshold]").inner_text()
    assert required_documents(page) == ["Choose a pathway to see the documents it needs."]

    page.select_option("select[name=pathway]", "sex_linked")
    assert required_documents(page) == [
        "Resident ID card (copy)",
        "Prenatal diagnosis certificate",
        "Sex-determination opinion of a prenatal-diagnosis centre",
    ]
    page.check("input[name=emergency]")
    assert required_documents(page)[-1] == "Emergency clinical record"
    page.select_option("select[name=pathway]", "divorced")
    assert required_documents(page) == [
        "Resident ID card (copy)",
        "Divorce certificate or judgment",
        "Emergency clinical record",
    ]

    rows = page.locator("[data-termination-document-rows] tr")
    before = rows.count()
    total = page.locator("input[name=documents-TOTAL_FORMS]")
    assert total.input_value() == str(before)
    add = page.locator("[data-termination-add-document]")
    assert add.is_visible()
    add.click()
    assert rows.count() == before + 1
    assert total.input_value() == str(before + 1)
    new_row = rows.nth(before)
    assert new_row.locator(f"select[name=documents-{before}-doc_type]").count() == 1
    assert new_row.locator(f"input[type=file][name=documents-{before}-file]").count() == 1
    # A new row starts blank too: no document type chosen for the clerk.
    assert new_row.locator(f"select[name=documents-{before}-doc_type]").input_value() == ""
    # Up to the formset's maximum, then the button goes away.
    maximum = int(page.locator("input[name=documents-MAX_NUM_FORMS]").input_value())
    while rows.count() < maximum:
        add.click()
    assert not add.is_visible()
    assert total.input_value() == str(maximum)
    assert tab.console_errors == []


def test_the_rules_box_reads_in_chinese(open_tab: Any) -> None:
    tab = open_tab("zh-hans")
    tab.log_in("clerk")
    tab.goto(SUBMIT)
    tab.page.select_option("select[name=pathway]", "widowed")
    documents = required_documents(tab.page)
    assert len(documents) == 2 and all(not any("a" <= ch.lower() <= "z" for ch in doc) for doc in documents)
    assert "14" in tab.page.locator("[data-termination-threshold]").inner_text()
    assert tab.console_errors == []
