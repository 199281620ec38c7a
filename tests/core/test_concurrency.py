"""No race under real concurrency: references stay unique, a version is won once, and the audit
chain does not fork. Real threads, each with its own database connection, started together by a
barrier; on PostgreSQL (row locks, advisory lock) and on SQLite (IMMEDIATE transactions)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from accord.core import audit, services
from accord.core.choices import AuditAction, OrganisationKind, Role
from accord.core.models import AuditEvent, Organisation
from tests.factories import PersonFactory, provider

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` on ``count`` threads released at the same instant; return the results.

    Each thread closes its own database connection when done, so nothing is left open.
    """
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert not errors, errors
    return results


def assert_chain_has_no_fork() -> None:
    result = audit.verify()
    assert result.ok, result
    prev_hashes = list(AuditEvent.objects.values_list("prev_hash", flat=True))
    assert len(prev_hashes) == len(set(prev_hashes)), "two events share a predecessor"


def test_32_concurrent_creators_get_32_unique_consecutive_references():
    def create(_: int) -> str:
        with transaction.atomic():
            return services.next_reference("INC")

    references = run_together(32, create)

    assert sorted(references) == [f"INC-{n:06d}" for n in range(1, 33)]


def test_concurrent_creators_with_audited_records_keep_references_and_chain_intact():
    """Each creator takes a reference and creates a record with it in one transaction."""

    def create(index: int) -> str:
        with transaction.atomic():
            reference = services.next_reference("CHG")
            services.organisation_create(
                actor=None,
                code=reference,
                name=f"Created by thread {index}",
                kind=OrganisationKind.CUSTOMER,
            )
            return reference

    references = run_together(32, create)

    expected = [f"CHG-{n:06d}" for n in range(1, 33)]
    assert sorted(references) == expected
    assert sorted(Organisation.objects.values_list("code", flat=True)) == expected
    assert AuditEvent.objects.filter(action=AuditAction.CREATE).count() == 32
    assert_chain_has_no_fork()


def test_20_parallel_patches_with_the_same_etag_give_one_success_and_19_refusals(
    bearer_client,
):
    admin = PersonFactory(organisation=provider(), roles=[Role.ADMINISTRATOR])
    org = services.organisation_create(
        actor=None, code="RACE", name="Before", kind=OrganisationKind.CUSTOMER
    )
    clients = [bearer_client(admin) for _ in range(20)]  # one client (and token) per thread
    url = f"/api/v1/organisations/{org.pk}/"
    etag = clients[0].get(url)["ETag"]
    assert etag == '"1"'
    org_events = AuditEvent.objects.filter(object_type="core.organisation", object_id=str(org.pk))
    events_before = org_events.count()

    def patch(index: int) -> tuple[int, dict[str, Any], str]:
        response = clients[index].patch(
            url, {"name": f"Name from thread {index}"}, format="json", HTTP_IF_MATCH=etag
        )
        return response.status_code, response.json(), response.get("ETag", "")

    outcomes = run_together(20, patch)

    assert Counter(status for status, _, _ in outcomes) == {200: 1, 412: 19}
    winner = next(body for status, body, _ in outcomes if status == 200)
    refusals = [(body, tag) for status, body, tag in outcomes if status == 412]
    assert all(body["code"] == "stale_version" for body, _ in refusals)
    assert all(body["current_version"] == 2 and tag == '"2"' for body, tag in refusals)

    org.refresh_from_db()
    assert org.version == 2
    assert org.name == winner["name"]
    new_events = org_events.order_by("id")[events_before:]
    assert [(e.action, e.door, e.changes["name"][1]) for e in new_events] == [
        (AuditAction.UPDATE, "api", org.name)
    ]
    assert_chain_has_no_fork()
