"""Demo feedback and the read-only admin."""

from __future__ import annotations

from importlib import import_module

import pytest

from accord.feedback.choices import ComplaintStatus
from accord.feedback.models import Complaint, Survey
from accord.notifications.models import Notification, OutboundMail
from tests.factories import PersonFactory, provider

pytestmark = pytest.mark.django_db


def _load_demo() -> None:
    """The demo loaders feedback builds on, then feedback's own (in the settings' order)."""
    for name in ("core", "portfolio", "transitions", "incidents", "service_requests", "feedback"):
        module = import_module(f"accord.{name}.demo")
        for _, step in module.steps():
            step()


def test_the_demo_is_one_of_the_demo_loaders(settings):
    names = settings.ACCORD_DEMO_MODULES
    assert names.index("accord.feedback.demo") > names.index("accord.incidents.demo")


@pytest.mark.demo
def test_the_demo_loads_surveys_and_complaints_without_mail():
    _load_demo()
    surveys = Survey.objects.all()
    assert 20 <= surveys.count() <= 60
    answered = surveys.filter(score__isnull=False).count()
    assert 10 <= answered < surveys.count()
    assert set(Complaint.objects.values_list("status", flat=True)) == {
        ComplaintStatus.NEW,
        ComplaintStatus.ACKNOWLEDGED,
        ComplaintStatus.INVESTIGATING,
        ComplaintStatus.CLOSED,
    }
    assert not OutboundMail.objects.filter(event_key__startswith="feedback.").exists()
    assert not Notification.objects.filter(event_key__startswith="feedback.").exists()
    # Loading again adds nothing.
    _load_demo()
    assert Complaint.objects.count() == 4


def test_the_admin_shows_feedback_read_only(client, customer_org):
    from tests.feedback.conftest import offer, raise_complaint

    survey = offer(customer_org)
    complaint = raise_complaint(customer_org)
    admin = PersonFactory(organisation=provider(), is_staff=True, is_superuser=True)
    client.force_login(admin)
    for model, obj in (("survey", survey), ("complaint", complaint)):
        assert client.get(f"/admin/feedback/{model}/").status_code == 200
        page = client.get(f"/admin/feedback/{model}/{obj.pk}/change/")
        assert page.status_code == 200
        assert client.get(f"/admin/feedback/{model}/add/").status_code == 403
    assert (
        survey.token_hash
        not in client.get(f"/admin/feedback/survey/{survey.pk}/change/").content.decode()
    )
