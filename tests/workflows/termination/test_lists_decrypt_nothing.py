"""The lists of tasks and cases show no patient data, so they neither read nor decrypt it.

The queue and the workspace load each row's case with the task (one query for the page); the case's
encrypted fields (the patient's name, resident ID and the fetal sex) are deferred, not decrypted fifty
times per page and dropped. Every decryption is counted while each role opens them.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from core.fields import EncryptedTextField
from workflows.termination.flows import TerminationFlow as Flow

from .test_workspace import to_bureau

pytestmark = pytest.mark.django_db


def test_the_queue_the_workspace_and_the_case_list_decrypt_no_patient_field(
    driver: Any, world: Any, monkeypatch: Any
) -> None:
    to_bureau(driver, world, pathway="divorced")  # a decision for the officers
    driver.submit(pathway="widowed")  # a review for the director
    decrypted: list[str] = []
    real = EncryptedTextField.from_db_value

    def counting(self: EncryptedTextField, value: Any, expression: Any, connection: Any) -> Any:
        decrypted.append(f"{self.model.__name__}.{self.name}")
        return real(self, value, expression, connection)

    monkeypatch.setattr(EncryptedTextField, "from_db_value", counting)
    pages = [Flow.instance.reverse("queue"), Flow.instance.reverse("index"), reverse("workspace:index")]
    for persona in (world.officer, world.director, world.clerk, world.chief, world.inspector):
        client = driver.client(persona)
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, (url, persona)
            assert not decrypted, f"{url} as {persona}: decrypted {decrypted}"
    # The count works: the case page, which shows them to the facility, decrypts them.
    case = driver.submit(pathway="divorced")
    assert driver.client(world.clerk).get(Flow.instance.reverse("process_detail", args=[case.pk])).status_code == 200
    assert "TerminationCase.patient_name" in decrypted
