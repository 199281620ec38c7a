"""Agreement rules: parties per kind, what may change when, activation and overlaps,
transitions, text versions and targets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.agreements import services
from accord.agreements.choices import AgreementKind, AgreementStatus, Metric
from accord.agreements.models import Agreement, AgreementText, Target
from accord.core.choices import AuditAction, OrganisationKind, Role
from accord.core.records import StaleVersion
from tests.agreements.helpers import H, agreement, manager
from tests.base import events_since, last_event_id, nothing_changed
from tests.factories import (
    CalendarFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    TeamFactory,
    provider,
)

pytestmark = pytest.mark.django_db
D = dt.date


def draft(organisation=None, **kwargs):
    return agreement(organisation, status=AgreementStatus.DRAFT, **kwargs)


def create(actor=None, **overrides):
    values = {
        "code": "SLA-1",
        "name": "Gold",
        "kind": AgreementKind.SLA,
        "organisation": OrganisationFactory(),
        "calendar": CalendarFactory(),
        "starts_on": D(2026, 1, 1),
        "owner": manager(),
        "services": [ServiceFactory()],
    }
    return services.agreement_create(actor=actor or manager(), **{**values, **overrides})


class TestParties:
    def test_an_sla_is_made_with_a_customer(self):
        made = create(text="Terms.")
        assert made.status == AgreementStatus.DRAFT
        assert made.texts.get().number == 1

    @pytest.mark.parametrize(
        ("kind", "org_kind", "field"),
        [
            (AgreementKind.SLA, OrganisationKind.SUPPLIER, "organisation"),
            (AgreementKind.UC, OrganisationKind.CUSTOMER, "organisation"),
            (AgreementKind.OLA, OrganisationKind.CUSTOMER, "organisation"),
        ],
    )
    def test_wrong_party_is_refused(self, kind, org_kind, field):
        org = OrganisationFactory(kind=org_kind)
        with nothing_changed(Agreement), pytest.raises(ValidationError) as caught:
            create(kind=kind, organisation=org)
        assert field in caught.value.message_dict

    def test_an_ola_needs_a_provider_team(self, customer_org):
        with pytest.raises(ValidationError) as caught:
            create(kind=AgreementKind.OLA, organisation=provider())
        assert "team" in caught.value.message_dict
        with pytest.raises(ValidationError) as caught:
            create(
                kind=AgreementKind.OLA,
                organisation=provider(),
                team=TeamFactory(organisation=customer_org),
            )
        assert "team" in caught.value.message_dict
        ola = create(kind=AgreementKind.OLA, organisation=provider(), team=TeamFactory())
        assert ola.team is not None

    def test_only_an_ola_names_a_team(self):
        with pytest.raises(ValidationError) as caught:
            create(team=TeamFactory())
        assert "team" in caught.value.message_dict

    def test_the_owner_is_provider_staff(self, customer_org):
        with pytest.raises(ValidationError) as caught:
            create(owner=PersonFactory(organisation=customer_org))
        assert "owner" in caught.value.message_dict

    def test_end_before_start_is_refused(self):
        with pytest.raises(ValidationError) as caught:
            create(ends_on=D(2025, 12, 31))
        assert "ends_on" in caught.value.message_dict

    def test_duplicate_code_is_refused(self):
        create()
        with pytest.raises(ValidationError) as caught:
            create()
        assert "code" in caught.value.message_dict

    def test_pipeline_service_invisible_to_nobody_but_unknown_ids_refused(self):
        ghost = ServiceFactory.build(pk=987654)
        with pytest.raises(ValidationError) as caught:
            create(services=[ghost])
        assert "services" in caught.value.message_dict

    @pytest.mark.parametrize("role", [Role.AGENT, Role.SERVICE_OWNER, Role.AUDITOR])
    def test_others_may_not_write(self, role):
        with nothing_changed(Agreement), pytest.raises(PermissionDenied):
            create(actor=PersonFactory(roles=[role]))


class TestEditing:
    def test_a_draft_changes_freely(self):
        a = draft(services=[ServiceFactory()])
        supplier = OrganisationFactory(kind=OrganisationKind.SUPPLIER)
        new_service = ServiceFactory()
        updated = services.agreement_update(
            actor=manager(),
            agreement=a,
            data={"kind": AgreementKind.UC, "organisation": supplier, "services": [new_service]},
        )
        assert updated.kind == AgreementKind.UC
        assert list(updated.services.all()) == [new_service]

    def test_moving_a_draft_moves_its_targets_tenant_key(self):
        a = draft(targets=[(Metric.RESOLUTION, "P1", 4)])
        other = OrganisationFactory()
        services.agreement_update(actor=manager(), agreement=a, data={"organisation": other})
        assert a.targets.get().organisation == other

    def test_an_active_agreement_keeps_its_terms(self):
        a = agreement(services=[ServiceFactory()])
        for data in (
            {"kind": AgreementKind.UC},
            {"services": [ServiceFactory()]},
            {"starts_on": D(2027, 1, 1)},
            {"calendar": CalendarFactory()},
        ):
            with nothing_changed(Agreement, a), pytest.raises(ValidationError) as caught:
                services.agreement_update(actor=manager(), agreement=a, data=data)
            assert set(caught.value.message_dict) == set(data)

    def test_an_active_agreement_may_change_its_administration(self):
        a = agreement()
        owner = manager()
        updated = services.agreement_update(
            actor=manager(),
            agreement=a,
            data={
                "owner": owner,
                "review_date": D(2026, 6, 1),
                "workload_limits": "500 tickets a month",
                "exceptions": "Force majeure",
                "ends_on": D(2027, 12, 31),
                # Unchanged terms may be sent along (forms send every field).
                "kind": a.kind,
                "organisation": a.organisation,
            },
        )
        assert updated.owner == owner and updated.version == a.version + 1

    def test_a_closed_agreement_does_not_change(self):
        a = agreement(status=AgreementStatus.EXPIRED)
        with pytest.raises(ValidationError):
            services.agreement_update(actor=manager(), agreement=a, data={"name": "New"})

    def test_stale_version_is_refused(self):
        a = draft()
        with nothing_changed(Agreement, a), pytest.raises(StaleVersion):
            services.agreement_update(
                actor=manager(), agreement=a, data={"name": "X"}, expected_version=7
            )


class TestActivation:
    def test_activation_records_the_approver_and_is_a_transition(self):
        a = draft(services=[ServiceFactory()], targets=[(Metric.RESOLUTION, "", 8)])
        approver = manager()
        mark = last_event_id()
        done = services.agreement_activate(actor=approver, agreement=a, expected_version=1)
        assert done.status == AgreementStatus.ACTIVE
        assert done.approved_by == approver and done.approved_at is not None
        (event,) = events_since(mark)
        assert event.action == AuditAction.TRANSITION
        assert event.changes["status"] == ["draft", "active"]

    def test_only_the_service_level_manager_approves(self):
        a = draft(services=[ServiceFactory()], targets=[(Metric.RESOLUTION, "", 8)])
        admin = PersonFactory(roles=[Role.ADMINISTRATOR])  # manages, but may not approve
        with nothing_changed(Agreement, a), pytest.raises(PermissionDenied):
            services.agreement_activate(actor=admin, agreement=a)

    def test_an_agreement_without_services_or_targets_cannot_come_into_force(self):
        a = draft()
        with pytest.raises(ValidationError) as caught:
            services.agreement_activate(actor=manager(), agreement=a)
        assert "covers no service" in caught.value.messages[0]
        assert "no target" in caught.value.messages[0]

    def test_an_agreement_past_its_end_cannot_come_into_force(self):
        a = draft(
            services=[ServiceFactory()],
            targets=[(Metric.RESOLUTION, "", 8)],
            ends_on=D(2026, 1, 31),
        )
        with pytest.raises(ValidationError):
            services.agreement_activate(
                actor=manager(), agreement=a, now=dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
            )

    @pytest.mark.parametrize(
        ("existing", "new", "clash"),
        [
            ((D(2026, 1, 1), None), (D(2027, 1, 1), None), True),
            ((D(2026, 1, 1), D(2026, 12, 31)), (D(2026, 12, 31), None), True),  # one shared day
            ((D(2026, 1, 1), D(2026, 12, 31)), (D(2027, 1, 1), None), False),
            ((D(2027, 1, 1), None), (D(2026, 1, 1), D(2026, 12, 31)), False),
            ((D(2027, 1, 1), None), (D(2026, 1, 1), D(2027, 1, 1)), True),
        ],
    )
    def test_at_most_one_active_sla_per_customer_and_service(
        self, customer_org, existing, new, clash
    ):
        shared = ServiceFactory()
        agreement(
            customer_org,
            services=[shared, ServiceFactory()],
            starts_on=existing[0],
            ends_on=existing[1],
            code="SLA-OLD",
        )
        a = draft(
            customer_org,
            services=[shared],
            targets=[(Metric.RESOLUTION, "", 8)],
            starts_on=new[0],
            ends_on=new[1],
        )
        now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        if clash:
            with nothing_changed(Agreement, a), pytest.raises(ValidationError) as caught:
                services.agreement_activate(actor=manager(), agreement=a, now=now)
            message = caught.value.messages[0]
            assert "At most one active SLA per customer and service" in message
            assert "SLA-OLD" in message and shared.code in message
        else:
            done = services.agreement_activate(actor=manager(), agreement=a, now=now)
            assert done.status == AgreementStatus.ACTIVE

    def test_a_different_service_or_customer_or_kind_does_not_clash(self, customer_org):
        service = ServiceFactory()
        agreement(customer_org, services=[ServiceFactory()])  # same customer, other service
        agreement(services=[service])  # other customer, same service
        agreement(customer_org, services=[service], status=AgreementStatus.TERMINATED)
        agreement(kind=AgreementKind.OLA, services=[service])
        a = draft(customer_org, services=[service], targets=[(Metric.RESOLUTION, "", 8)])
        done = services.agreement_activate(actor=manager(), agreement=a)
        assert done.status == AgreementStatus.ACTIVE

    def test_extending_an_active_sla_into_another_is_refused(self, customer_org):
        service = ServiceFactory()
        first = agreement(customer_org, services=[service], ends_on=D(2026, 12, 31))
        agreement(customer_org, services=[service], starts_on=D(2027, 1, 1))
        with nothing_changed(Agreement, first), pytest.raises(ValidationError) as caught:
            services.agreement_update(
                actor=manager(), agreement=first, data={"ends_on": D(2027, 6, 30)}
            )
        assert "ends_on" in caught.value.message_dict


class TestTransitions:
    @pytest.mark.parametrize(
        ("start", "service", "allowed"),
        [
            (AgreementStatus.DRAFT, services.agreement_expire, False),
            (AgreementStatus.DRAFT, services.agreement_terminate, True),
            (AgreementStatus.ACTIVE, services.agreement_expire, True),
            (AgreementStatus.ACTIVE, services.agreement_terminate, True),
            (AgreementStatus.ACTIVE, services.agreement_activate, False),
            (AgreementStatus.EXPIRED, services.agreement_terminate, False),
            (AgreementStatus.EXPIRED, services.agreement_activate, False),
            (AgreementStatus.TERMINATED, services.agreement_activate, False),
            (AgreementStatus.TERMINATED, services.agreement_expire, False),
        ],
    )
    def test_transitions_follow_the_table(self, start, service, allowed):
        a = agreement(
            status=start, services=[ServiceFactory()], targets=[(Metric.RESOLUTION, "", 8)]
        )
        if not allowed:
            with nothing_changed(Agreement, a), pytest.raises(ValidationError):
                service(actor=manager(), agreement=a)
            return
        done = service(actor=manager(), agreement=a)
        assert done.status != start
        if service is services.agreement_terminate:
            assert done.terminated_at is not None

    def test_stale_transition_is_refused(self):
        a = agreement()
        with nothing_changed(Agreement, a), pytest.raises(StaleVersion):
            services.agreement_expire(actor=manager(), agreement=a, expected_version=99)


class TestTexts:
    def test_versions_are_appended_and_never_change(self):
        a = draft()
        first = services.agreement_text_add(actor=manager(), agreement=a, body="Version one")
        second = services.agreement_text_add(actor=manager(), agreement=a, body="Version two")
        assert (first.number, second.number) == (1, 2)
        assert AgreementText.objects.get(pk=first.pk).body == "Version one"
        assert not hasattr(services, "agreement_text_update")

    def test_empty_text_is_refused(self):
        with nothing_changed(AgreementText), pytest.raises(ValidationError):
            services.agreement_text_add(actor=manager(), agreement=draft(), body="  ")

    def test_closed_agreements_take_no_new_text(self):
        a = agreement(status=AgreementStatus.TERMINATED)
        with pytest.raises(ValidationError):
            services.agreement_text_add(actor=manager(), agreement=a, body="Late")


class TestTargets:
    def test_target_takes_the_agreements_organisation(self):
        a = draft()
        t = services.target_create(
            actor=manager(), agreement=a, metric=Metric.RESOLUTION, priority="P1", duration=4 * H
        )
        assert t.organisation == a.organisation
        assert t.warning_threshold == Decimal("0.8")

    @pytest.mark.parametrize(
        ("values", "field"),
        [
            ({"metric": "speed", "duration": H}, "metric"),
            ({"metric": Metric.RESOLUTION}, "duration"),
            ({"metric": Metric.RESOLUTION, "duration": dt.timedelta(0)}, "duration"),
            ({"metric": Metric.RESOLUTION, "duration": -H}, "duration"),
            ({"metric": Metric.RESOLUTION, "duration": H, "percentage": 99}, "percentage"),
            ({"metric": Metric.AVAILABILITY}, "percentage"),
            ({"metric": Metric.AVAILABILITY, "percentage": Decimal("100.5")}, "percentage"),
            ({"metric": Metric.AVAILABILITY, "percentage": 99, "duration": H}, "duration"),
            ({"metric": Metric.RESOLUTION, "duration": H, "priority": "P9"}, "priority"),
            (
                {"metric": Metric.RESOLUTION, "duration": H, "warning_threshold": 0},
                "warning_threshold",
            ),
            (
                {"metric": Metric.RESOLUTION, "duration": H, "warning_threshold": Decimal("1.01")},
                "warning_threshold",
            ),
        ],
    )
    def test_bad_targets_are_refused(self, values, field):
        a = draft()
        with nothing_changed(Target), pytest.raises(ValidationError) as caught:
            services.target_create(actor=manager(), agreement=a, **values)
        assert field in caught.value.message_dict

    def test_one_target_per_metric_and_priority(self):
        a = draft(targets=[(Metric.RESOLUTION, "P1", 4), (Metric.RESOLUTION, "", 8)])
        for priority in ("P1", ""):
            with pytest.raises(ValidationError) as caught:
                services.target_create(
                    actor=manager(),
                    agreement=a,
                    metric=Metric.RESOLUTION,
                    priority=priority,
                    duration=H,
                )
            assert "priority" in caught.value.message_dict
        other = a.targets.get(priority="P1")
        with pytest.raises(ValidationError):
            services.target_update(actor=manager(), target=other, data={"priority": ""})

    def test_targets_of_an_agreement_in_force_do_not_change(self):
        a = agreement(targets=[(Metric.RESOLUTION, "P1", 4)])
        target = a.targets.get()
        with pytest.raises(ValidationError):
            services.target_create(
                actor=manager(), agreement=a, metric=Metric.FIRST_RESPONSE, duration=H
            )
        with nothing_changed(Target, target), pytest.raises(ValidationError):
            services.target_update(actor=manager(), target=target, data={"duration": 2 * H})
        with nothing_changed(Target, target), pytest.raises(ValidationError):
            services.target_delete(actor=manager(), target=target)

    def test_switching_to_availability_drops_the_duration(self):
        a = draft(targets=[(Metric.RESOLUTION, "", 4)])
        t = services.target_update(
            actor=manager(),
            target=a.targets.get(),
            data={"metric": Metric.AVAILABILITY, "percentage": Decimal("99.9")},
        )
        assert t.duration is None and t.percentage == Decimal("99.9")


@pytest.mark.parametrize(
    ("kind", "expected"),
    [(AgreementKind.SLA, True), (AgreementKind.OLA, True), (AgreementKind.UC, False)],
)
def test_waiting_on_a_supplier_pauses_slas_and_olas_but_not_ucs_by_default(kind, expected):
    home = provider()
    organisation = {
        AgreementKind.SLA: OrganisationFactory(kind=OrganisationKind.CUSTOMER),
        AgreementKind.OLA: home,
        AgreementKind.UC: OrganisationFactory(kind=OrganisationKind.SUPPLIER),
    }[kind]
    made = services.agreement_create(
        actor=manager(),
        code=f"X-{kind.upper()}",
        name="Pauses",
        kind=kind,
        organisation=organisation,
        team=TeamFactory(organisation=home) if kind == AgreementKind.OLA else None,
        calendar=CalendarFactory(),
        starts_on=dt.date(2026, 1, 1),
        owner=manager(),
    )
    assert made.pause_on_pending_supplier is expected
    chosen = services.agreement_create(
        actor=manager(),
        code=f"Y-{kind.upper()}",
        name="Chosen",
        kind=kind,
        organisation=organisation,
        team=made.team,
        calendar=made.calendar,
        starts_on=dt.date(2026, 1, 1),
        owner=manager(),
        pause_on_pending_supplier=not expected,
    )
    assert chosen.pause_on_pending_supplier is (not expected)
