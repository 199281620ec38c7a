"""CSV files of samples, through the service and the API: good rows stored, bad rows named by
their row number as a spreadsheet shows it, and a file without the needed columns refused
whole."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from accord.capacity.models import Sample
from accord.capacity.services import ingest_csv
from accord.core.choices import Role
from tests.base import ALL_ROLES, api_client_for, assert_error_body, person_for_role, roles_with
from tests.capacity.factories import MetricFactory
from tests.factories import OrganisationFactory, person_with_role

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
URL = "/api/v1/capacity/samples/csv/"

GOOD_AND_BAD = (
    "metric,at,value\n"
    "DISK,2026-11-27T10:00:00Z,1.25\n"  # row 1
    "DISK,2026-11-27T10:05:00Z,lots\n"  # row 2: not a number
    "\n"  # row 3: blank, skipped
    "NOPE,2026-11-27T10:10:00Z,1\n"  # row 4: unknown metric
    'DISK,"2026-11-27T10:15:00+01:00",1.5\n'  # row 5: quoted, with an offset
    "DISK,2026-11-27T10:20:00\n"  # row 6: no value, no zone
)


def stored(metric) -> list[tuple[dt.datetime, float]]:
    return list(Sample.objects.filter(metric=metric).order_by("at").values_list("at", "value"))


def test_good_rows_are_stored_and_bad_rows_are_named_by_their_row_number():
    disk = MetricFactory(code="DISK")
    result = ingest_csv(GOOD_AND_BAD.encode(), actor=None, now=NOW)
    assert result.stored == 2
    assert {r.index: sorted(r.errors) for r in result.rejected} == {
        2: ["value"],
        4: ["metric"],
        6: ["at", "value"],
    }
    assert stored(disk) == [
        (dt.datetime(2026, 11, 27, 9, 15, tzinfo=dt.UTC), 1.5),
        (dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC), 1.25),
    ]


def test_columns_may_come_in_any_order_with_others_beside_them_and_a_byte_order_mark():
    disk = MetricFactory(code="DISK")
    text = "\ufeffValue ,host,Metric,At\n1.75,mail-01,DISK,2026-11-27T11:00:00Z\n"
    result = ingest_csv(text.encode("utf-8"), actor=None, now=NOW)
    assert (result.stored, result.rejected) == (1, [])
    assert stored(disk) == [(dt.datetime(2026, 11, 27, 11, 0, tzinfo=dt.UTC), 1.75)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"metric,value\nDISK,1\n", "lacks the column at"),
        (b"when,what\n", "lacks the columns metric, at, value"),
        (b"", "empty"),
        ("metric,at,value\nDISK,2026-11-27T10:00:00Z,1\n".encode("utf-16"), "UTF-8"),
    ],
)
def test_a_file_without_the_needed_columns_or_not_utf8_stores_nothing(content, message):
    MetricFactory(code="DISK")
    with pytest.raises(ValidationError) as caught:
        ingest_csv(content, actor=None, now=NOW)
    assert message in caught.value.message_dict["file"][0]
    assert Sample.objects.count() == 0


def test_only_capacity_recorders_send_files():
    customer = person_with_role(Role.CUSTOMER_MANAGER, OrganisationFactory(kind="customer"))
    with pytest.raises(PermissionDenied):
        ingest_csv(GOOD_AND_BAD, actor=customer, now=NOW)


# --- through the API --------------------------------------------------------------------------


def recent_rows() -> str:
    at = (timezone.now() - dt.timedelta(hours=1)).replace(microsecond=0).isoformat()
    return f"metric,at,value\nDISK,{at},1.5\nDISK,{at},oops\n"


def test_a_multipart_upload_answers_stored_and_rejected_rows():
    disk = MetricFactory(code="DISK")
    client = api_client_for(person_with_role(Role.CAPACITY_MANAGER))
    upload = SimpleUploadedFile("disk.csv", recent_rows().encode(), content_type="text/csv")
    response = client.post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "stored": 1,
        "rejected": [{"index": 2, "errors": {"value": "'oops' is not a number."}}],
    }
    assert len(stored(disk)) == 1


def test_a_text_csv_body_is_read_the_same_way():
    MetricFactory(code="DISK")
    client = api_client_for(person_with_role(Role.ADMINISTRATOR))
    response = client.generic("POST", URL, recent_rows().encode(), content_type="text/csv")
    assert response.status_code == 200, response.json()
    assert response.json()["stored"] == 1
    assert [r["index"] for r in response.json()["rejected"]] == [2]


def test_a_missing_column_or_file_is_400_and_stores_nothing():
    MetricFactory(code="DISK")
    client = api_client_for(person_with_role(Role.CAPACITY_MANAGER))
    response = client.generic("POST", URL, b"metric,when\nDISK,1\n", content_type="text/csv")
    assert_error_body(response, 400, "invalid", ["file"])
    assert "at" in response.json()["errors"]["file"][0]
    assert_error_body(client.post(URL, {}, format="multipart"), 400, "invalid", ["file"])
    assert Sample.objects.count() == 0


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_may_upload(role, customer_org):
    MetricFactory(code="DISK")
    client = api_client_for(person_for_role(role, customer_org))
    response = client.generic("POST", URL, recent_rows().encode(), content_type="text/csv")
    if role in roles_with("capacity.record"):
        assert response.status_code == 200
    else:
        assert_error_body(response, 403, "permission_denied")
        assert Sample.objects.count() == 0


def test_anonymous_upload_is_401():
    response = APIClient().generic("POST", URL, recent_rows().encode(), content_type="text/csv")
    assert_error_body(response, 401, "not_authenticated")
