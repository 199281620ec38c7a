"""The demo's capacity: five metrics with twelve weeks of samples rolled up, the mail storage in
warning, the virtual desktops running out within the quarter, no incident opened, no mail, and
nothing added by loading twice."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from accord.capacity.models import Metric, Rollup, Sample
from accord.capacity.selectors import closest_to_limits, outlooks
from accord.incidents.models import Incident
from accord.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.mark.demo
def test_the_demo_metrics_and_loading_twice_adds_nothing():
    call_command("demo", stdout=io.StringIO())
    today = timezone.now().date()
    found = closest_to_limits(outlooks(list(Metric.objects.select_related("state")), today=today))
    assert [o.metric.code for o in found[:2]] == ["MAIL-STORAGE", "VDI-SESSIONS"]
    assert found[0].level == "warning"
    assert found[1].runs_out is not None and found[1].runs_out < today + dt.timedelta(days=92)
    assert {o.metric.kind for o in found} == {"technical", "human"}
    assert not Incident.objects.filter(channel="monitoring").exists()
    assert not Notification.objects.filter(kind__startswith="capacity.").exists()
    first = (Metric.objects.count(), Sample.objects.count(), Rollup.objects.count())
    call_command("demo", stdout=io.StringIO())
    assert (Metric.objects.count(), Sample.objects.count(), Rollup.objects.count()) == first
