"""A registration's case page reads the names its summary shows with their rows, not one by one.

The summary names the supervisor sent to check and shows the signature of the check. Read lazily in the
template, each was a query of its own: the user, then the user's profile, then the signature.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db

# A lazy relation in a template: one row of one of these tables fetched by its key alone, nothing joined.
LAZY = re.compile(r'FROM "(auth_user|permissions_profile|audit_signature)" WHERE "\1"\."(id|user_id)" = \S+ LIMIT 21$')


def test_the_summary_reads_the_supervisor_and_the_checks_signature_with_their_rows(driver: Any, us_world: Any) -> None:
    case = driver.register()  # filed, signed, checked on site by the supervisor, approved
    assert case.supervisor_id is not None
    client = driver.client(us_world.users["clerk"])
    url = f"/procedures/ultrasoundregistration/{case.pk}/"
    assert client.get(url).status_code == 200  # warms the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    body = response.content.decode()
    assert "Supervisor Printed" in body  # the summary names the supervisor
    assert "Supervisor Printed · " in body  # and signs the check with the signature's printed name and time
    lazy = [query["sql"] for query in captured if LAZY.search(query["sql"])]
    assert not lazy, "read one by one:\n" + "\n".join(lazy)
