"""Every state-changing operation of the core app.

Each service takes the acting person (``None`` for the trusted system: CLI and jobs), checks
permission, validates, writes and records the audit event in one transaction, and returns the
object. Views, API views, admin, CLI and tasks call these and never write models themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from rest_framework.authtoken.models import Token

from accord.core import audit, records
from accord.core.choices import AuditAction, OrganisationKind, Role
from accord.core.models import Organisation, Person, RoleAssignment, Sequence, Team
from accord.core.permissions import forget_roles, require
from accord.core.roles import CUSTOMER_ROLES, PROVIDER_ONLY_ROLES

ORGANISATION_FIELDS = ("code", "name", "kind", "time_zone", "is_active", "notes")
TEAM_FIELDS = (
    "organisation",
    "code",
    "name",
    "description",
    "email",
    "lead",
    "members",
    "is_active",
)
PERSON_FIELDS = (
    "username",
    "email",
    "first_name",
    "last_name",
    "organisation",
    "time_zone",
    "language",
    "job_title",
    "phone",
    "is_active",
)


def _reject_unknown(data: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))


# --- Organisations ----------------------------------------------------------------------------


def organisation_create(
    *,
    actor: Person | None,
    code: str,
    name: str,
    kind: str,
    time_zone: str = "UTC",
    notes: str = "",
    is_active: bool = True,
) -> Organisation:
    require(actor, "directory.manage")
    if kind == OrganisationKind.PROVIDER and Organisation.objects.filter(kind=kind).exists():
        raise ValidationError({"kind": "The service provider already exists; there is only one."})
    org = Organisation(
        code=code, name=name, kind=kind, time_zone=time_zone, notes=notes, is_active=is_active
    )
    with transaction.atomic():
        org = records.create_record(actor=actor, instance=org, fields=ORGANISATION_FIELDS)
        # The tenant key of an organisation's own events is the organisation itself.
        return org


def organisation_update(
    *,
    actor: Person | None,
    organisation: Organisation,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Organisation:
    require(actor, "directory.manage", organisation)
    _reject_unknown(data, ORGANISATION_FIELDS)
    new_kind = data.get("kind", organisation.kind)
    if new_kind != organisation.kind and (
        organisation.kind == OrganisationKind.PROVIDER or new_kind == OrganisationKind.PROVIDER
    ):
        raise ValidationError({"kind": "The service provider's kind cannot change."})
    return records.update_record(
        actor=actor,
        instance=organisation,
        data=data,
        fields=ORGANISATION_FIELDS,
        expected_version=expected_version,
        organisation=organisation,
    )


# --- Teams ------------------------------------------------------------------------------------


def _check_team_people(organisation: Organisation, lead: Person | None, members: Iterable[Any]):
    people = list(members)
    wrong = [p for p in people if p.organisation_id != organisation.pk]
    if lead is not None and lead.organisation_id != organisation.pk:
        raise ValidationError({"lead": "The lead must belong to the team's organisation."})
    if wrong:
        names = ", ".join(str(p) for p in wrong)
        raise ValidationError({"members": f"Not in the team's organisation: {names}."})
    if lead is not None and lead not in people:
        people.append(lead)
    return people


def team_create(
    *,
    actor: Person | None,
    organisation: Organisation,
    code: str,
    name: str,
    description: str = "",
    email: str = "",
    lead: Person | None = None,
    members: Iterable[Person] = (),
    is_active: bool = True,
) -> Team:
    require(actor, "directory.manage", organisation)
    people = _check_team_people(organisation, lead, members)
    team = Team(
        organisation=organisation,
        code=code,
        name=name,
        description=description,
        email=email,
        lead=lead,
        is_active=is_active,
    )
    return records.create_record(
        actor=actor,
        instance=team,
        fields=TEAM_FIELDS,
        organisation=organisation,
        m2m={"members": people},
    )


def team_update(
    *,
    actor: Person | None,
    team: Team,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Team:
    require(actor, "directory.manage", team.organisation)
    data = dict(data)
    members = data.pop("members", None)
    _reject_unknown(data, TEAM_FIELDS)
    organisation = data.get("organisation", team.organisation)
    if organisation.pk != team.organisation_id:
        raise ValidationError({"organisation": "A team cannot move to another organisation."})
    lead = data.get("lead", team.lead)
    if members is None:
        members = list(team.members.all())
    people = _check_team_people(organisation, lead, members)
    return records.update_record(
        actor=actor,
        instance=team,
        data=data,
        fields=TEAM_FIELDS,
        expected_version=expected_version,
        organisation=organisation,
        m2m={"members": people},
    )


# --- People -----------------------------------------------------------------------------------


def person_create(
    *,
    actor: Person | None,
    username: str,
    organisation: Organisation,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    time_zone: str = "",
    language: str = "en",
    job_title: str = "",
    phone: str = "",
    roles: Iterable[str] = (),
    is_active: bool = True,
) -> Person:
    """Create a person; roles given here are held for the person's own organisation when the
    role is a customer role, and globally otherwise."""
    require(actor, "directory.manage", organisation)
    if Person.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "A person with this username already exists."})
    person = Person(
        username=username,
        organisation=organisation,
        email=email,
        first_name=first_name,
        last_name=last_name,
        time_zone=time_zone,
        language=language,
        job_title=job_title,
        phone=phone,
        is_active=is_active,
    )
    if password:
        validate_password(password, person)
        person.set_password(password)
    else:
        person.set_unusable_password()
    with transaction.atomic():
        person = records.create_record(
            actor=actor, instance=person, fields=PERSON_FIELDS, organisation=organisation
        )
        for role in roles:
            role_assign(
                actor=actor,
                person=person,
                role=role,
                organisation=organisation if role in CUSTOMER_ROLES else None,
            )
    return person


def person_update(
    *,
    actor: Person | None,
    person: Person,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Person:
    """Change a person's profile. People may edit their own contact details and preferences."""
    self_service = {"email", "first_name", "last_name", "time_zone", "language", "phone"}
    if actor is None or actor.pk != person.pk or not set(data) <= self_service:
        require(actor, "directory.manage", person.organisation)
    _reject_unknown(data, PERSON_FIELDS)
    if actor is not None and actor.pk == person.pk and data.get("is_active") is False:
        raise ValidationError({"is_active": "You cannot deactivate yourself."})
    moving = "organisation" in data and data["organisation"] != person.organisation
    if moving and person.role_assignments.filter(role__in=CUSTOMER_ROLES).exists():
        raise ValidationError(
            {"organisation": "Revoke the person's customer roles before moving them."}
        )
    return records.update_record(
        actor=actor,
        instance=person,
        data=data,
        fields=PERSON_FIELDS,
        expected_version=expected_version,
        organisation=data.get("organisation", person.organisation),
    )


@transaction.atomic
def person_set_password(
    *, actor: Person | None, person: Person, password: str, old_password: str | None = None
) -> Person:
    """Set a password: one's own (knowing the old one) or anyone's as an administrator."""
    if actor is not None and actor.pk == person.pk:
        if old_password is None or not person.check_password(old_password):
            raise ValidationError({"old_password": "Your old password was entered incorrectly."})
    else:
        require(actor, "directory.manage", person.organisation)
    validate_password(password, person)
    locked = Person.objects.select_for_update().get(pk=person.pk)
    locked.set_password(password)
    locked.version += 1
    locked.save(update_fields=["password", "version", "updated_at"])
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        changes={"password": ["(hidden)", "(changed)"]},
        organisation=locked.organisation_id,
    )
    person.password = locked.password
    person.version = locked.version
    return locked


# --- Roles ------------------------------------------------------------------------------------


@transaction.atomic
def role_assign(
    *,
    actor: Person | None,
    person: Person,
    role: str,
    organisation: Organisation | None = None,
) -> RoleAssignment:
    require(actor, "roles.manage")
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role '{role}'. See `accord user roles`."})
    person_org = person.organisation
    if role in PROVIDER_ONLY_ROLES and (person_org is None or not person_org.is_provider):
        raise ValidationError(
            {"role": f"{Role(role).label} is a provider role; this person is not provider staff."}
        )
    if role in CUSTOMER_ROLES:
        if person_org is None or person_org.kind != OrganisationKind.CUSTOMER:
            raise ValidationError(
                {"role": f"{Role(role).label} is for people of a customer organisation."}
            )
        if organisation is None:
            organisation = person_org
        if organisation.pk != person_org.pk:
            raise ValidationError(
                {"organisation": "A customer role is held for one's own organisation."}
            )
    exists = RoleAssignment.objects.filter(person=person, role=role, organisation=organisation)
    if exists.exists():
        raise ValidationError({"role": "This person already holds this role here."})
    assignment = RoleAssignment(person=person, role=role, organisation=organisation)
    try:
        records.create_record(
            actor=actor,
            instance=assignment,
            fields=("person", "role", "organisation"),
            organisation=person.organisation_id,
        )
    except IntegrityError as exc:  # a concurrent identical assignment won
        raise ValidationError({"role": "This person already holds this role here."}) from exc
    forget_roles(person)
    return assignment


@transaction.atomic
def role_revoke(*, actor: Person | None, assignment: RoleAssignment) -> None:
    require(actor, "roles.manage")
    if (
        actor is not None
        and assignment.person_id == actor.pk
        and assignment.role == Role.ADMINISTRATOR
    ):
        raise PermissionDenied("You cannot revoke your own administrator role.")
    person = assignment.person
    records.delete_record(actor=actor, instance=assignment, organisation=person.organisation_id)
    forget_roles(person)


# --- API tokens -------------------------------------------------------------------------------


@transaction.atomic
def token_issue(*, actor: Person | None, person: Person, rotate: bool = False) -> str:
    """Return the person's API token, creating (or with ``rotate``, replacing) it."""
    if actor is None or actor.pk != person.pk:
        require(actor, "tokens.issue")
    if not person.is_active:
        raise ValidationError({"person": "This person is inactive and cannot have a token."})
    existing = Token.objects.filter(user=person).first()
    if existing and not rotate:
        return existing.key
    if existing:
        existing.delete()
    token = Token.objects.create(user=person)
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=person,
        changes={"api_token": ["(replaced)" if existing else None, "(issued)"]},
        organisation=person.organisation_id,
    )
    return token.key


# --- Human references -------------------------------------------------------------------------


def next_reference(prefix: str, width: int = 6) -> str:
    """Issue the next reference for ``prefix`` (``INC`` -> ``INC-000042``), without races.

    One ``UPDATE … RETURNING`` takes the number: the counter row is locked (PostgreSQL) or the
    transaction holds SQLite's write lock, so concurrent creators queue; a rolled-back creation
    may leave a gap, never a duplicate.
    """
    prefix = prefix.upper()
    table = connection.ops.quote_name(Sequence._meta.db_table)
    with transaction.atomic():
        for _ in range(2):
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET last = last + 1 WHERE prefix = %s RETURNING last",  # noqa: S608
                    [prefix],
                )
                row = cursor.fetchone()
            if row is not None:
                return f"{prefix}-{row[0]:0{width}d}"
            try:
                with transaction.atomic():
                    Sequence.objects.create(prefix=prefix, last=0)
            except IntegrityError:  # a concurrent creator inserted the row first
                pass
    raise RuntimeError(f"could not issue a reference for {prefix}")


def reserve_references(prefix: str, count: int, width: int = 6) -> list[str]:
    """Issue ``count`` consecutive references at once (bulk loads), with the same guarantees
    as :func:`next_reference`: no duplicates under concurrent creators."""
    if count < 1:
        return []
    prefix = prefix.upper()
    with transaction.atomic():
        try:
            with transaction.atomic():
                Sequence.objects.get_or_create(prefix=prefix)
        except IntegrityError:
            pass
        Sequence.objects.filter(prefix=prefix).update(last=F("last") + count)
        last = Sequence.objects.values_list("last", flat=True).get(prefix=prefix)
    return [f"{prefix}-{n:0{width}d}" for n in range(last - count + 1, last + 1)]
