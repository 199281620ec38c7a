"""Every state change of service transitions, and the gate the portfolio asks (8.5.2).

A transition moves design → build → acceptance → live (or retired) → closed, or is cancelled
while open. Leaving design needs the requirements, the design and at least one acceptance
criterion; leaving build needs every plan activity done; the last step needs :func:`readiness`
to list nothing missing. For a new or transferred-in service the last step is the service going
live in the portfolio, and for a retirement or transfer out the service retiring: the portfolio
runs :func:`lifecycle_gate` before either, through every door (pages, API, admin, CLI, CSV
import), so no service goes live or leaves live without a ready transition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from accord.agreements.choices import AgreementStatus
from accord.agreements.models import Agreement
from accord.changes.choices import ChangeStatus, ReleaseStatus
from accord.core import records
from accord.core.choices import AuditAction, Priority
from accord.core.models import Person
from accord.core.permissions import has_capability, is_provider_staff
from accord.core.services import next_reference
from accord.incidents.models import Incident
from accord.portfolio.choices import ServiceStatus
from accord.portfolio.models import Service
from accord.transitions.choices import (
    OPEN_STAGES,
    REMOVING,
    STAGE_MOVES,
    Stage,
    TransitionKind,
)
from accord.transitions.models import (
    AcceptanceCriterion,
    DataDisposition,
    ServiceTransition,
    TransitionActivity,
)

Row = TypeVar("Row", ServiceTransition, AcceptanceCriterion, TransitionActivity, DataDisposition)

REFERENCE_PREFIX = "TRN"
CAPABILITY = "portfolio.manage"
DENIED = "Only service owners and others who manage the portfolio work on service transitions."

#: Text fields of the design and plan, editable while the transition is open.
TEXT_FIELDS = (
    "title",
    "requirements",
    "design",
    "capacity_requirements",
    "availability_requirements",
    "security_considerations",
    "continuity_considerations",
    "resources",
)
OPEN_FIELDS = (
    *TEXT_FIELDS,
    "owner",
    "support_team",
    "planned_start",
    "planned_end",
    "early_life_days",
)
M2M_FIELDS = (
    "configuration_items",
    "dependencies",
    "agreements",
    "catalogue_items",
    "changes",
    "releases",
)
#: The outcome report, written once the service is live (or retired).
OUTCOME_FIELDS = ("outcome_achieved", "lessons_learned")
STAGE_FIELDS = ("stage", "completed_at", "closed_at", "cancel_reason", "improvement")
TRANSITION_FIELDS = (
    "reference",
    "service",
    "kind",
    "organisation",
    *OPEN_FIELDS,
    *OUTCOME_FIELDS,
    *STAGE_FIELDS,
)
#: The fields audited for the rows of a transition; "transition" makes the creation event say
#: whose row it is, which the transition's history relies on.
CRITERION_FIELDS = (
    "transition",
    "number",
    "description",
    "verification",
    "verified_at",
    "verified_by",
    "evidence",
)
ACTIVITY_FIELDS = (
    "transition",
    "kind",
    "title",
    "owner",
    "starts_on",
    "due_on",
    "done_at",
    "done_by",
    "notes",
)
DISPOSITION_FIELDS = (
    "transition",
    "item",
    "configuration_item",
    "action",
    "recipient",
    "done_at",
    "done_by",
    "evidence",
)

#: Change statuses that count as carried out (implemented, reviewed or closed after success).
CHANGE_DONE = frozenset({ChangeStatus.IMPLEMENTED, ChangeStatus.IN_REVIEW, ChangeStatus.CLOSED})
RELEASE_DONE = frozenset({ReleaseStatus.DEPLOYED, ReleaseStatus.CLOSED})
#: The service status each kind starts from.
STARTS_FROM = {
    TransitionKind.NEW: ServiceStatus.PIPELINE,
    TransitionKind.TRANSFER_IN: ServiceStatus.PIPELINE,
    TransitionKind.CHANGE: ServiceStatus.LIVE,
    TransitionKind.RETIREMENT: ServiceStatus.LIVE,
    TransitionKind.TRANSFER_OUT: ServiceStatus.LIVE,
}


# --- who may -----------------------------------------------------------------------------------


def may_manage(person: Any) -> bool:
    """True for the system (``None``) and people who manage the portfolio."""
    return person is None or has_capability(person, CAPABILITY)


def _require(actor: Any) -> None:
    if not may_manage(actor):
        raise PermissionDenied(DENIED)


def _person(actor: Any) -> Person | None:
    return actor if isinstance(actor, Person) else None


def _lock_row(model: type[Row], row: Any, version: int | None, *related: str) -> Row:
    """The row locked for this transaction, refused when the caller saw another version."""
    locked = model.objects.select_for_update().select_related(*related).get(pk=row.pk)
    if version is not None and locked.version != version:
        raise records.StaleVersion(locked.version)
    return locked


def _lock(transition: ServiceTransition, version: int | None) -> ServiceTransition:
    return _lock_row(ServiceTransition, transition, version)


def _lock_child(model: type[Row], row: Any, version: int | None, what: str) -> Row:
    """A criterion, activity or disposition locked, while its transition is still open."""
    locked = _lock_row(model, row, version, "transition")
    _require_open(locked.transition, what)
    return locked


def _require_open(transition: ServiceTransition, what: str = "This") -> None:
    if transition.stage not in OPEN_STAGES:
        raise ValidationError(
            f"{what} changes only while the transition is in design, build or acceptance; "
            f"{transition.reference} is {transition.get_stage_display().lower()}."
        )


# --- the transition itself ---------------------------------------------------------------------


def _check_links(
    service: Service, kind: str, m2m: Mapping[str, Iterable[Any]], errors: dict[str, str]
) -> None:
    """Catalogue items must be the service's own; the service cannot depend on itself; the
    agreements of a new service must cover it (a retirement may list any that do)."""
    items = [i for i in m2m.get("catalogue_items", ()) if i.service_id != service.pk]
    if items:
        errors["catalogue_items"] = (
            f"{', '.join(i.name for i in items)} belongs to another service; a transition "
            f"publishes only {service.code}'s own catalogue items."
        )
    if any(d.pk == service.pk for d in m2m.get("dependencies", ())):
        errors["dependencies"] = f"{service.code} cannot depend on itself."
    agreements = list(m2m.get("agreements", ()))
    if agreements:
        covering = set(
            Agreement.services.through.objects.filter(
                agreement_id__in=[a.pk for a in agreements], service_id=service.pk
            ).values_list("agreement_id", flat=True)
        )
        strays = [a for a in agreements if a.pk not in covering]
        if strays:
            errors["agreements"] = (
                f"{', '.join(a.code for a in strays)} does not cover {service.code}; add the "
                "service to the agreement first."
            )


def _check_staff(values: Mapping[str, Any], field: str, errors: dict[str, str]) -> None:
    """Owners of a transition and of its activities are the provider's active staff."""
    person = values.get(field)
    if person is not None and not is_provider_staff(person):
        errors[field] = f"{person} is not an active member of the provider's staff."


def _reject_unknown(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set here."))


@transaction.atomic
def transition_create(
    *, actor: Any, service: Service, kind: str, data: Mapping[str, Any]
) -> ServiceTransition:
    """Open a transition for ``service`` in design. ``data``: title (required), owner (default
    the actor), the design and plan fields and the linked records. A new or transferred-in
    service must be in the pipeline; a changed, retired or transferred-out one live; and a
    service has one open transition at a time."""
    _require(actor)
    _reject_unknown(data, (*OPEN_FIELDS, *M2M_FIELDS))
    values = {k: v for k, v in data.items() if k in OPEN_FIELDS}
    m2m = {k: list(v) for k, v in data.items() if k in M2M_FIELDS}
    errors: dict[str, str] = {}
    if kind not in TransitionKind.values:
        raise ValidationError({"kind": f"'{kind}' is not a kind of transition."})
    service = Service.objects.select_for_update().select_related("owner").get(pk=service.pk)
    wanted = STARTS_FROM[TransitionKind(kind)]
    if service.status != wanted:
        errors["kind"] = (
            f"A {TransitionKind(kind).label.lower()} transition is for a "
            f"{ServiceStatus(wanted).label.lower()} service; {service.code} is "
            f"{service.get_status_display().lower()}."
        )
    busy = ServiceTransition.objects.filter(service=service, stage__in=OPEN_STAGES).first()
    if busy is not None:
        errors["service"] = (
            f"{service.code} already has an open transition ({busy.reference}, "
            f"{busy.get_stage_display().lower()}); finish or cancel it first."
        )
    _check_links(service, kind, m2m, errors)
    _check_staff(values, "owner", errors)
    if errors:
        raise ValidationError(errors)
    values.setdefault("owner", _person(actor) or service.owner)
    if values.get("owner") is None:
        values["owner"] = service.owner
    transition = ServiceTransition(
        reference=next_reference(REFERENCE_PREFIX),
        organisation_id=service.owner.organisation_id,
        service=service,
        kind=kind,
        stage=Stage.DESIGN,
        created_by=_person(actor),
        **values,
    )
    try:
        with transaction.atomic():
            return records.create_record(
                actor=actor,
                instance=transition,
                fields=TRANSITION_FIELDS,
                organisation=transition.organisation_id,
                m2m=m2m,
            )
    except IntegrityError as exc:  # a concurrent creation won the one open slot
        raise ValidationError(
            {"service": f"{service.code} already has an open transition."}
        ) from exc


@transaction.atomic
def transition_update(
    *,
    actor: Any,
    transition: ServiceTransition,
    data: Mapping[str, Any],
    version: int | None = None,
) -> ServiceTransition:
    """Change the design, the plan and the links while open; the outcome report once live or
    retired. A closed or cancelled transition no longer changes."""
    _require(actor)
    locked = _lock(transition, version)
    _reject_unknown(data, (*OPEN_FIELDS, *M2M_FIELDS, *OUTCOME_FIELDS))
    if locked.stage in (Stage.CLOSED, Stage.CANCELLED):
        raise ValidationError(f"{locked.reference} is {locked.stage} and no longer changes.")
    if locked.stage in OPEN_STAGES:
        misplaced = set(data) & set(OUTCOME_FIELDS)
        where = "once the service is live (or retired)"
    else:
        misplaced = set(data) - set(OUTCOME_FIELDS)
        where = "while the transition is in design, build or acceptance"
    if misplaced:
        raise ValidationError(dict.fromkeys(sorted(misplaced), f"This is written only {where}."))
    values = {k: v for k, v in data.items() if k not in M2M_FIELDS}
    m2m = {k: list(v) for k, v in data.items() if k in M2M_FIELDS}
    errors: dict[str, str] = {}
    _check_links(locked.service, locked.kind, m2m, errors)
    if "owner" in values and values["owner"] is None:
        errors["owner"] = "Name who owns the transition."
    _check_staff(values, "owner", errors)
    if errors:
        raise ValidationError(errors)
    return records.update_record(
        actor=actor,
        instance=locked,
        data=values,
        fields=(*TRANSITION_FIELDS, *m2m),
        organisation=locked.organisation_id,
        m2m=m2m,
    )


def allowed_moves(person: Any, transition: ServiceTransition) -> list[str]:
    """The stages ``person`` may try to move ``transition`` to (the gates may still refuse)."""
    if not may_manage(person):
        return []
    moves = STAGE_MOVES.get(transition.stage, frozenset())
    moves = moves - ({Stage.LIVE} if transition.kind in REMOVING else {Stage.RETIRED})
    return [s for s in Stage.values if s in moves]


def _gate_problems(transition: ServiceTransition, to: str, now: dt.datetime) -> list[str]:
    """What stops ``transition`` moving to ``to`` (readiness for the last step)."""
    if to == Stage.BUILD and transition.stage == Stage.DESIGN:
        missing = []
        if not transition.requirements.strip():
            missing.append("the service requirements are not written")
        if not transition.design.strip():
            missing.append("the design is not written")
        if not transition.criteria.exists():
            missing.append("no acceptance criterion is agreed")
        return missing
    if to == Stage.ACCEPTANCE:
        open_ = list(
            transition.activities.filter(done_at__isnull=True).values_list("title", flat=True)
        )
        return [f"plan activity not done: {title}" for title in open_]
    if to in (Stage.LIVE, Stage.RETIRED):
        return readiness(transition)
    if to == Stage.CLOSED:
        missing = [
            f"the outcome report needs {label}"
            for name, label in (
                ("outcome_achieved", "what was achieved"),
                ("lessons_learned", "the lessons learned"),
            )
            if not getattr(transition, name).strip()
        ]
        ends = early_life_end(transition)
        if ends is not None and now < ends:
            missing.append(f"early life support runs until {ends:%Y-%m-%d %H:%M} UTC")
        return missing
    return []


@transaction.atomic
def transition_move(
    *,
    actor: Any,
    transition: ServiceTransition,
    to: str,
    version: int | None = None,
    reason: str = "",
    raise_improvement: bool = False,
    now: dt.datetime | None = None,
) -> ServiceTransition:
    """Move a transition to stage ``to`` through its gate. Going live (or retired) for a new,
    transferred or retired service moves the service in the portfolio too, whose lifecycle
    gate moves this transition; closing may raise an improvement from the lessons learned."""
    _require(actor)
    now = now or timezone.now()
    locked = _lock(transition, version)
    if to not in Stage.values:
        raise ValidationError({"to": f"'{to}' is not a stage."})
    if to not in allowed_moves(actor, locked):
        allowed = ", ".join(Stage(s).label.lower() for s in allowed_moves(actor, locked))
        raise ValidationError(
            {
                "to": f"{locked.reference} is {locked.get_stage_display().lower()} and cannot "
                f"move to {Stage(to).label.lower()}"
                + (f"; it may move to: {allowed}." if allowed else "; it is final.")
            }
        )
    if to == Stage.CANCELLED:
        if not reason.strip():
            raise ValidationError({"reason": "Say why the transition is cancelled."})
        return _set_stage(actor, locked, Stage.CANCELLED, {"cancel_reason": reason.strip()})
    moves_service = to in (Stage.LIVE, Stage.RETIRED) and locked.kind != TransitionKind.CHANGE
    # When the service moves, the portfolio's lifecycle_gate checks readiness (once).
    problems = [] if moves_service else _gate_problems(locked, to, now)
    if problems:
        raise ValidationError(
            {
                "to": f"{locked.reference} cannot move to {Stage(to).label.lower()}: "
                + "; ".join(problems)
                + "."
            }
        )
    if moves_service:
        # The portfolio moves the service and, through lifecycle_gate, this transition.
        from accord.portfolio.services.service import service_transition

        service_transition(
            actor=actor,
            service=locked.service,
            to_status=ServiceStatus.LIVE if to == Stage.LIVE else ServiceStatus.RETIRED,
        )
        return ServiceTransition.objects.get(pk=locked.pk)
    extra: dict[str, Any] = {}
    if to in (Stage.LIVE, Stage.RETIRED):
        extra["completed_at"] = now
    if to == Stage.CLOSED:
        extra["closed_at"] = now
        if raise_improvement:
            extra["improvement"] = _raise_improvement(actor, locked)
    return _set_stage(actor, locked, to, extra)


def _set_stage(
    actor: Any, transition: ServiceTransition, stage: str, extra: Mapping[str, Any]
) -> ServiceTransition:
    return records.update_record(
        actor=actor,
        instance=transition,
        data={"stage": stage, **extra},
        fields=STAGE_FIELDS,
        organisation=transition.organisation_id,
        action=AuditAction.TRANSITION,
    )


def _raise_improvement(actor: Any, transition: ServiceTransition) -> Any:
    from accord.improvement.choices import Source
    from accord.improvement.services import improvement_create

    return improvement_create(
        actor=actor,
        data={
            "title": f"Lessons of {transition.reference}: {transition.title}"[:200],
            "description": transition.lessons_learned,
            "source": Source.SERVICE_TRANSITION,
            "source_record": transition,
            "source_reference": transition.reference,
            "service": transition.service,
            "owner": transition.owner,
        },
    )


# --- readiness and the portfolio's gate --------------------------------------------------------


def readiness(transition: ServiceTransition) -> list[str]:
    """What is missing before ``transition`` may take its service live (or out of live), one
    sentence each; empty when ready. A fixed handful of queries, whatever the counts."""
    missing: list[str] = []
    if transition.stage != Stage.ACCEPTANCE:
        missing.append(
            f"the transition is in {transition.get_stage_display().lower()}; it completes from "
            "acceptance"
        )
    service = transition.service
    wanted = STARTS_FROM[TransitionKind(transition.kind)]
    if service.status != wanted:
        missing.append(f"{service.code} is {service.get_status_display().lower()}, not {wanted}")
    criteria = list(transition.criteria.order_by("number"))
    if not criteria:
        missing.append("no acceptance criterion is agreed")
    missing += [
        f"acceptance criterion {c.number} is not verified ({c.description[:80]})"
        for c in criteria
        if c.verified_at is None
    ]
    for change in transition.changes.order_by("reference"):
        if change.status not in CHANGE_DONE:
            missing.append(
                f"{change.reference} is {change.get_status_display().lower()}, not implemented"
            )
    for release in transition.releases.order_by("reference"):
        if release.status not in RELEASE_DONE:
            missing.append(
                f"{release.reference} is {release.get_status_display().lower()}, not deployed"
            )
    agreements = list(transition.agreements.order_by("code"))
    if transition.kind in REMOVING:
        ending = {a.pk for a in agreements}
        still = Agreement.objects.filter(services=service, status=AgreementStatus.ACTIVE)
        for agreement in still.order_by("code").distinct():
            note = "" if agreement.pk in ending else " (not listed on the transition)"
            missing.append(f"{agreement.code} still covers {service.code} and is active{note}")
        for disposition in transition.dispositions.filter(done_at__isnull=True):
            missing.append(f"data disposition not done: {disposition}")
        return missing
    if transition.kind != TransitionKind.CHANGE and not agreements:
        missing.append(f"no agreement is linked for {service.code}")
    missing += [
        f"{a.code} is {a.get_status_display().lower()}, not approved"
        for a in agreements
        if a.status != AgreementStatus.ACTIVE or a.approved_at is None
    ]
    for item in transition.catalogue_items.order_by("name"):
        if item.fulfilment_team_id is None:
            missing.append(f"catalogue item {item.name} has no fulfilment team")
    if transition.kind != TransitionKind.CHANGE and transition.support_team_id is None:
        missing.append("no support team is named")
    return missing


def lifecycle_gate(
    actor: Any, service: Service, to_status: str, now: dt.datetime
) -> Callable[[Service], None] | None:
    """Run by the portfolio before ``service`` changes status. Going live needs the service's
    new-service (or transfer-in) transition to be ready; leaving live needs its retirement (or
    transfer-out) transition to be ready; either transition then completes. A pipeline service
    withdrawn (retired before going live) cancels its open transition."""
    current = (
        ServiceTransition.objects.select_for_update()
        .filter(service=service, stage__in=OPEN_STAGES)
        .first()
    )
    if to_status == ServiceStatus.RETIRED and service.status == ServiceStatus.PIPELINE:
        if current is not None:
            _set_stage(
                actor,
                current,
                Stage.CANCELLED,
                {"cancel_reason": f"{service.code} was withdrawn from the pipeline."},
            )
        return None
    if to_status == ServiceStatus.LIVE:
        kinds, verb, stage = {TransitionKind.NEW, TransitionKind.TRANSFER_IN}, "go live", Stage.LIVE
    elif to_status == ServiceStatus.RETIRED:
        kinds, verb, stage = REMOVING, "be retired", Stage.RETIRED
    else:  # pragma: no cover - the portfolio has no other move
        return None
    if current is None or current.kind not in kinds:
        wanted = " or ".join(TransitionKind(k).label.lower() for k in sorted(kinds))
        raise ValidationError(
            {
                "to": f"{service.code} can {verb} only through a service transition ({wanted}) "
                "whose acceptance criteria are verified; open one and take it through design, "
                "build and acceptance."
                + (
                    f" Its open transition {current.reference} is a "
                    f"{current.get_kind_display().lower()}."
                    if current is not None
                    else ""
                )
            }
        )
    current.service = service
    missing = readiness(current)
    if missing:
        raise ValidationError(
            {
                "to": f"{service.code} cannot {verb}: {current.reference} is not ready: "
                + "; ".join(missing)
                + "."
            }
        )
    _set_stage(actor, current, stage, {"completed_at": now})
    if stage == Stage.LIVE:
        return lambda live: _publish(actor, current)
    return None


def _publish(actor: Any, transition: ServiceTransition) -> None:
    """Publish the catalogue items the transition prepared, now that the service is live."""
    from accord.portfolio.services.catalogue import catalogue_item_activate

    for item in transition.catalogue_items.filter(is_active=False).select_related("service"):
        catalogue_item_activate(actor=actor, item=item)


# --- acceptance criteria -----------------------------------------------------------------------


def _text(value: Any, field: str, message: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text


@transaction.atomic
def criterion_create(
    *, actor: Any, transition: ServiceTransition, description: str, verification: str
) -> AcceptanceCriterion:
    """Agree one more acceptance criterion (numbered in order) while the transition is open."""
    _require(actor)
    locked = _lock(transition, None)
    _require_open(locked, "The acceptance criteria")
    criterion = AcceptanceCriterion(
        transition=locked,
        number=(locked.criteria.aggregate(n=Max("number"))["n"] or 0) + 1,
        description=_text(description, "description", "Say what must hold."),
        verification=_text(verification, "verification", "Say how it will be verified."),
    )
    return records.create_record(
        actor=actor,
        instance=criterion,
        fields=CRITERION_FIELDS,
        organisation=locked.organisation_id,
        references_checked=True,
    )


def _lock_criterion(criterion: AcceptanceCriterion, version: int | None) -> AcceptanceCriterion:
    return _lock_child(AcceptanceCriterion, criterion, version, "The acceptance criteria")


@transaction.atomic
def criterion_update(
    *,
    actor: Any,
    criterion: AcceptanceCriterion,
    data: Mapping[str, Any],
    version: int | None = None,
) -> AcceptanceCriterion:
    """Reword a criterion or how it is verified; a verified one is set back to unverified
    first, so no verification stands for words it did not check."""
    _require(actor)
    locked = _lock_criterion(criterion, version)
    _reject_unknown(data, ("description", "verification"))
    if locked.verified_at is not None:
        raise ValidationError(
            f"Criterion {locked.number} is verified; withdraw the verification before rewording it."
        )
    values = {name: _text(data[name], name, "This cannot be empty.") for name in data}
    return records.update_record(
        actor=actor,
        instance=locked,
        data=values,
        fields=CRITERION_FIELDS,
        organisation=locked.transition.organisation_id,
    )


@transaction.atomic
def criterion_verify(
    *,
    actor: Any,
    criterion: AcceptanceCriterion,
    evidence: str,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> AcceptanceCriterion:
    """Record that a criterion holds, with the evidence and who verified it (build or
    acceptance)."""
    _require(actor)
    locked = _lock_criterion(criterion, version)
    if locked.transition.stage == Stage.DESIGN:
        raise ValidationError(
            "Criteria are verified in build or acceptance, once there is something to verify."
        )
    if locked.verified_at is not None:
        raise ValidationError(f"Criterion {locked.number} is already verified.")
    return records.update_record(
        actor=actor,
        instance=locked,
        data={
            "evidence": _text(evidence, "evidence", "Give the evidence that the criterion holds."),
            "verified_at": now or timezone.now(),
            "verified_by": _person(actor),
        },
        fields=CRITERION_FIELDS,
        organisation=locked.transition.organisation_id,
        action=AuditAction.TRANSITION,
    )


@transaction.atomic
def criterion_unverify(
    *, actor: Any, criterion: AcceptanceCriterion, version: int | None = None
) -> AcceptanceCriterion:
    """Withdraw a verification (the evidence turned out wrong); the audit trail keeps it."""
    _require(actor)
    locked = _lock_criterion(criterion, version)
    if locked.verified_at is None:
        raise ValidationError(f"Criterion {locked.number} is not verified.")
    return records.update_record(
        actor=actor,
        instance=locked,
        data={"evidence": "", "verified_at": None, "verified_by": None},
        fields=CRITERION_FIELDS,
        organisation=locked.transition.organisation_id,
        action=AuditAction.TRANSITION,
    )


@transaction.atomic
def criterion_delete(*, actor: Any, criterion: AcceptanceCriterion) -> None:
    """Drop an unverified criterion agreed in error."""
    _require(actor)
    locked = _lock_criterion(criterion, None)
    if locked.verified_at is not None:
        raise ValidationError(f"Criterion {locked.number} is verified and is kept as evidence.")
    records.delete_record(
        actor=actor, instance=locked, organisation=locked.transition.organisation_id
    )


# --- plan activities ---------------------------------------------------------------------------


def _check_activity(values: Mapping[str, Any]) -> None:
    start, due = values.get("starts_on"), values.get("due_on")
    if start and due and due < start:
        raise ValidationError({"due_on": "The due date cannot be before the start."})


@transaction.atomic
def activity_create(
    *, actor: Any, transition: ServiceTransition, data: Mapping[str, Any]
) -> TransitionActivity:
    """Add an activity to the plan: kind, title, owner, start and due dates, notes."""
    _require(actor)
    locked = _lock(transition, None)
    _require_open(locked, "The plan")
    _reject_unknown(data, ("kind", "title", "owner", "starts_on", "due_on", "notes"))
    _check_activity(data)
    errors: dict[str, str] = {}
    _check_staff(data, "owner", errors)
    if errors:
        raise ValidationError(errors)
    activity = TransitionActivity(transition=locked, **data)
    return records.create_record(
        actor=actor,
        instance=activity,
        fields=ACTIVITY_FIELDS,
        organisation=locked.organisation_id,
    )


def _lock_activity(activity: TransitionActivity, version: int | None) -> TransitionActivity:
    return _lock_child(TransitionActivity, activity, version, "The plan")


@transaction.atomic
def activity_done(
    *,
    actor: Any,
    activity: TransitionActivity,
    done: bool = True,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> TransitionActivity:
    """Mark a plan activity done (or not done after all)."""
    _require(actor)
    locked = _lock_activity(activity, version)
    if done == (locked.done_at is not None):
        raise ValidationError(f"'{locked.title}' is {'already' if done else 'not'} done.")
    data = (
        {"done_at": now or timezone.now(), "done_by": _person(actor)}
        if done
        else {"done_at": None, "done_by": None}
    )
    return records.update_record(
        actor=actor,
        instance=locked,
        data=data,
        fields=ACTIVITY_FIELDS,
        organisation=locked.transition.organisation_id,
        action=AuditAction.TRANSITION,
    )


@transaction.atomic
def activity_delete(*, actor: Any, activity: TransitionActivity) -> None:
    """Drop an activity from the plan while the transition is open (the audit trail keeps
    it); one done or not, since the plan changes as the work is understood."""
    _require(actor)
    locked = _lock_activity(activity, None)
    records.delete_record(
        actor=actor, instance=locked, organisation=locked.transition.organisation_id
    )


# --- data dispositions (retirements and transfers out) ----------------------------------------


@transaction.atomic
def disposition_create(
    *, actor: Any, transition: ServiceTransition, data: Mapping[str, Any]
) -> DataDisposition:
    """Say what becomes of a data set or component of a service leaving the portfolio."""
    _require(actor)
    locked = _lock(transition, None)
    _require_open(locked, "The data dispositions")
    if locked.kind not in REMOVING:
        raise ValidationError("Data dispositions belong to retirements and transfers out.")
    _reject_unknown(data, ("item", "configuration_item", "action", "recipient"))
    values = dict(data)
    values["item"] = _text(values.get("item"), "item", "Name the data set or component.")
    if values.get("action") == "transfer" and not str(values.get("recipient") or "").strip():
        raise ValidationError({"recipient": "Name who receives what is transferred."})
    ci = values.get("configuration_item")
    if ci is not None and not locked.service.configuration_items.filter(pk=ci.pk).exists():
        raise ValidationError(
            {
                "configuration_item": f"{ci} is not a configuration item of "
                f"{locked.service.code}; a disposition names the service's own components."
            }
        )
    disposition = DataDisposition(transition=locked, **values)
    return records.create_record(
        actor=actor,
        instance=disposition,
        fields=DISPOSITION_FIELDS,
        organisation=locked.organisation_id,
    )


@transaction.atomic
def disposition_done(
    *,
    actor: Any,
    disposition: DataDisposition,
    evidence: str,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> DataDisposition:
    """Record that a disposition was carried out, with the evidence (certificate, receipt)."""
    _require(actor)
    locked = _lock_child(DataDisposition, disposition, version, "The data dispositions")
    if locked.done_at is not None:
        raise ValidationError(f"'{locked}' is already done.")
    return records.update_record(
        actor=actor,
        instance=locked,
        data={
            "evidence": _text(evidence, "evidence", "Give the evidence that it was done."),
            "done_at": now or timezone.now(),
            "done_by": _person(actor),
        },
        fields=DISPOSITION_FIELDS,
        organisation=locked.transition.organisation_id,
        action=AuditAction.TRANSITION,
    )


# --- early life support ------------------------------------------------------------------------


def early_life_end(transition: ServiceTransition) -> dt.datetime | None:
    """When early life support ends (``None`` before going live or for a retirement)."""
    if transition.completed_at is None or transition.kind in REMOVING:
        return None
    return transition.completed_at + dt.timedelta(days=transition.early_life_days)


def early_life_incidents(transition: ServiceTransition) -> Any:
    """Incidents on the service opened during its early life support."""
    ends = early_life_end(transition)
    if ends is None:
        return Incident.objects.none()
    return Incident.objects.filter(
        service_id=transition.service_id,
        opened_at__gte=transition.completed_at,
        opened_at__lt=ends,
    )


def early_life_summary(transition: ServiceTransition, now: dt.datetime) -> dict[str, Any] | None:
    """Counts of early-life incidents: total, by priority, major, SLA breached, still open."""
    ends = early_life_end(transition)
    if ends is None:
        return None
    from accord.incidents.choices import OPEN_STATUSES

    counts = early_life_incidents(transition).aggregate(
        total=Count("pk"),
        major=Count("pk", filter=Q(is_major=True)),
        breached=Count("pk", filter=Q(sla_breached=True)),
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        **{p: Count("pk", filter=Q(priority=p)) for p in Priority.values},
    )
    return {
        "starts": transition.completed_at,
        "ends": ends,
        "running": now < ends,
        **counts,
    }
