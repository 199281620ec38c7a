"""Read queries of agreements and calendars, scoped to what the asking person may see.

Provider staff and auditors see every agreement; people of a customer or supplier see the
agreements made with their organisation once they are out of draft. Calendars hold no
customer data and are visible to everyone signed in.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accord.agreements.choices import AgreementStatus
from accord.agreements.models import Agreement, AgreementText, Calendar, Target
from accord.core.permissions import sees_all_organisations


def _active_person(person: Any) -> bool:
    return person is not None and person.is_authenticated and person.is_active


def calendars_visible_to(person: Any) -> QuerySet[Calendar]:
    qs = Calendar.objects.all()
    return qs if _active_person(person) else qs.none()


def agreements_visible_to(person: Any) -> QuerySet[Agreement]:
    qs = Agreement.objects.select_related("organisation", "team", "calendar", "owner")
    if sees_all_organisations(person):
        return qs
    if not _active_person(person) or person.organisation_id is None:
        return qs.none()
    return qs.filter(organisation_id=person.organisation_id).exclude(status=AgreementStatus.DRAFT)


def targets_visible_to(person: Any) -> QuerySet[Target]:
    return Target.objects.select_related("agreement").filter(
        agreement__in=agreements_visible_to(person).values("pk")
    )


def agreement_texts_visible_to(person: Any) -> QuerySet[AgreementText]:
    return AgreementText.objects.filter(agreement__in=agreements_visible_to(person).values("pk"))
