"""Every state-changing operation on services of the portfolio.

Each function takes the acting person (``None`` for the trusted system: CLI and jobs), checks
``portfolio.manage``, validates, writes through :mod:`accord.core.records` (version and audit
event) and returns the service, in one transaction. Pages, the API, the admin and the CSV
import all call these; none of them writes a service itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.utils import timezone

from accord.agreements.choices import AgreementStatus
from accord.agreements.models import Agreement, Calendar
from accord.core import records
from accord.core.choices import AuditAction, OrganisationKind, Role
from accord.core.csvcells import from_cell
from accord.core.models import Person, RoleAssignment, Team
from accord.core.permissions import require
from accord.portfolio.choices import SERVICE_TRANSITIONS, Criticality, ServiceStatus
from accord.portfolio.models import ConfigurationItem, Service
from accord.portfolio.selectors.service import SERVICE_CSV_COLUMNS

#: Fields set on creation and by :func:`service_update` (status moves by transition only).
SERVICE_FIELDS = (
    "code",
    "name",
    "summary",
    "description",
    "owner",
    "owning_team",
    "criticality",
    "service_hours",
    "depends_on",
    "configuration_items",
    "links",
    "next_review",
)
_M2M = ("depends_on", "configuration_items")
#: What a transition changes (and audits).
TRANSITION_FIELDS = ("status", "live_since", "retired_at")

MAX_LINKS = 20
MAX_LINK_LABEL = 100
_url = URLValidator(schemes=["http", "https"])


# --- Rules ------------------------------------------------------------------------------------


def _reject_unknown(data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - set(SERVICE_FIELDS))
    if "status" in unknown:
        raise ValidationError({"status": "The status changes through a transition only."})
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))


def check_owner(owner: Person | None) -> None:
    """The owner must be an active person holding the service owner role."""
    if owner is None:
        raise ValidationError({"owner": "A service needs an owner."})
    holds = RoleAssignment.objects.filter(person_id=owner.pk, role=Role.SERVICE_OWNER).exists()
    if not holds or not owner.is_active:
        raise ValidationError(
            {
                "owner": f"'{owner.username}' is not a service owner (an active person holding "
                "the service owner role)."
            }
        )


def check_owning_team(team: Team | None) -> None:
    if team is not None and team.organisation.kind != OrganisationKind.PROVIDER:
        raise ValidationError(
            {"owning_team": f"Team '{team.code}' is not a team of the service provider."}
        )


def clean_links(links: Any) -> list[dict[str, str]]:
    """A list of ``{"label", "url"}`` with a non-empty label and an http(s) address."""
    if links in (None, ""):
        return []
    if not isinstance(links, list | tuple):
        raise ValidationError({"links": "Give a list of links, each with a label and a url."})
    if len(links) > MAX_LINKS:
        raise ValidationError({"links": f"At most {MAX_LINKS} links."})
    cleaned = []
    for number, link in enumerate(links, start=1):
        if not isinstance(link, Mapping) or set(link) != {"label", "url"}:
            raise ValidationError({"links": f"Link {number}: give exactly a 'label' and a 'url'."})
        label, url = link["label"], link["url"]
        if not isinstance(label, str) or not label.strip() or len(label) > MAX_LINK_LABEL:
            raise ValidationError(
                {"links": f"Link {number}: the label must be 1 to {MAX_LINK_LABEL} characters."}
            )
        try:
            if not isinstance(url, str):
                raise ValidationError("not text")
            _url(url)
        except ValidationError:
            raise ValidationError(
                {"links": f"Link {number}: '{url}' is not an http:// or https:// address."}
            ) from None
        cleaned.append({"label": label.strip(), "url": url})
    return cleaned


def find_dependency_path(start: Iterable[int], goal: int) -> list[int] | None:
    """The ids on a path ``s -> … -> goal`` along ``depends_on`` from one of ``start``, or None.

    Breadth first, one query per step; each service is visited once, so stored cycles end.
    """
    link = Service.depends_on.through
    parent: dict[int, int | None] = dict.fromkeys(start)
    frontier = set(parent)
    while frontier:
        if goal in frontier:
            path = [goal]
            while parent[path[-1]] is not None:
                path.append(parent[path[-1]])  # type: ignore[arg-type]
            return list(reversed(path))
        nxt: set[int] = set()
        pairs = link.objects.filter(from_service_id__in=frontier).values_list(
            "from_service_id", "to_service_id"
        )
        for src, dst in pairs:
            if dst not in parent:
                parent[dst] = src
                nxt.add(dst)
        frontier = nxt
    return None


def check_dependencies(service: Service | None, depends_on: Iterable[Service]) -> None:
    """No self-dependency; no dependency through which ``service`` would depend on itself."""
    deps = list(depends_on)
    if service is None or service.pk is None:
        return
    if any(d.pk == service.pk for d in deps):
        raise ValidationError({"depends_on": "A service cannot depend on itself."})
    path = find_dependency_path([d.pk for d in deps], service.pk)
    if path:
        codes = dict(Service.objects.filter(pk__in=path).values_list("pk", "code"))
        chain = " → ".join([service.code, *(codes[pk] for pk in path)])
        raise ValidationError({"depends_on": f"This dependency would create a cycle: {chain}."})


_GRAPH_LOCK_KEY = 20_000_101  # arbitrary constant naming the dependency graph's advisory lock


def _lock_dependency_graph() -> None:
    """Serialise dependency edits, so two concurrent edits cannot close a cycle between them.
    PostgreSQL takes an advisory transaction lock; SQLite already serialises writers."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_GRAPH_LOCK_KEY])


def _audit_org(owner: Person) -> int | None:
    """Services belong to the provider: their events carry the owner's (provider) organisation."""
    return owner.organisation_id


# --- Create, update, transition ---------------------------------------------------------------


def service_create(
    *,
    actor: Person | None,
    code: str,
    name: str,
    owner: Person,
    summary: str = "",
    description: str = "",
    owning_team: Team | None = None,
    criticality: str = Criticality.MEDIUM,
    service_hours: Calendar | None = None,
    depends_on: Iterable[Service] = (),
    configuration_items: Iterable[ConfigurationItem] = (),
    links: Any = (),
    next_review: dt.date | None = None,
) -> Service:
    """Add a service to the portfolio; it starts in the pipeline."""
    require(actor, "portfolio.manage")
    check_owner(owner)
    check_owning_team(owning_team)
    service = Service(
        code=code,
        name=name,
        summary=summary,
        description=description,
        status=ServiceStatus.PIPELINE,
        owner=owner,
        owning_team=owning_team,
        criticality=criticality,
        service_hours=service_hours,
        links=clean_links(list(links) if links else []),
        next_review=next_review,
    )
    return records.create_record(
        actor=actor,
        instance=service,
        fields=SERVICE_FIELDS,
        organisation=_audit_org(owner),
        m2m={"depends_on": list(depends_on), "configuration_items": list(configuration_items)},
    )


def service_update(
    *,
    actor: Person | None,
    service: Service,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> Service:
    """Change a service's fields (not its status: see :func:`service_transition`)."""
    require(actor, "portfolio.manage")
    _reject_unknown(data)
    data = dict(data)
    m2m = {name: list(data.pop(name)) for name in _M2M if name in data}
    if "owner" in data:
        check_owner(data["owner"])
    if "owning_team" in data:
        check_owning_team(data["owning_team"])
    if "links" in data:
        data["links"] = clean_links(data["links"])
    with transaction.atomic():
        if "depends_on" in m2m:
            _lock_dependency_graph()
            check_dependencies(service, m2m["depends_on"])
        owner = data.get("owner", service.owner)
        return records.update_record(
            actor=actor,
            instance=service,
            data=data,
            fields=SERVICE_FIELDS,
            expected_version=expected_version,
            organisation=_audit_org(owner),
            m2m=m2m,
        )


def active_agreements_covering(service: Service) -> list[Agreement]:
    return list(
        Agreement.objects.filter(services=service, status=AgreementStatus.ACTIVE).order_by("code")
    )


#: Checks run before a service changes status, each ``(actor, service, to_status, now)``. One
#: may refuse (ValidationError on ``to``) or record what goes with the move, in the same
#: transaction, and may return what to do once the service has moved (called with it).
#: Service transitions register theirs: going live and retiring need one.
LifecycleGate = Callable[
    [Person | None, Service, str, dt.datetime], Callable[[Service], None] | None
]
_LIFECYCLE_GATES: list[LifecycleGate] = []


def register_lifecycle_gate(gate: LifecycleGate) -> None:
    """Add a check to every lifecycle move of a service (once per callable)."""
    if gate not in _LIFECYCLE_GATES:
        _LIFECYCLE_GATES.append(gate)


def allowed_transitions(service: Service) -> list[str]:
    """The statuses ``service`` may move to, in the order of the choice set."""
    allowed = SERVICE_TRANSITIONS.get(service.status, frozenset())
    return [s for s in ServiceStatus.values if s in allowed]


@transaction.atomic
def service_transition(
    *,
    actor: Person | None,
    service: Service,
    to_status: str,
    expected_version: int | None = None,
) -> Service:
    """Move a service along its lifecycle (pipeline → live → retired).

    Going live stamps ``live_since``; retiring stamps ``retired_at`` and is refused while an
    active agreement covers the service. The registered lifecycle gates run last: a service
    goes live, or leaves live, only through a service transition that is ready.
    """
    require(actor, "portfolio.manage")
    locked = Service.objects.select_for_update().get(pk=service.pk)
    if expected_version is not None and locked.version != expected_version:
        raise records.StaleVersion(locked.version)
    if to_status not in ServiceStatus.values:
        raise ValidationError({"to": f"'{to_status}' is not a service status."})
    if to_status not in SERVICE_TRANSITIONS.get(locked.status, frozenset()):
        allowed = ", ".join(ServiceStatus(s).label.lower() for s in allowed_transitions(locked))
        raise ValidationError(
            {
                "to": f"A {ServiceStatus(locked.status).label.lower()} service cannot become "
                f"{ServiceStatus(to_status).label.lower()}"
                + (f"; it may become: {allowed}." if allowed else "; it is final.")
            }
        )
    now = timezone.now()
    data: dict[str, Any] = {"status": to_status}
    if to_status == ServiceStatus.LIVE:
        data["live_since"] = now
    if to_status == ServiceStatus.RETIRED:
        covering = active_agreements_covering(locked)
        if covering:
            names = ", ".join(str(a) for a in covering)
            raise ValidationError(
                {
                    "to": f"{locked.code} cannot be retired: active agreements still cover it "
                    f"({names}). Terminate them or remove the service from them first."
                }
            )
        data["retired_at"] = now
    followups = [gate(actor, locked, to_status, now) for gate in _LIFECYCLE_GATES]
    moved = records.update_record(
        actor=actor,
        instance=locked,
        data=data,
        fields=TRANSITION_FIELDS,
        organisation=locked.owner.organisation_id,
        action=AuditAction.TRANSITION,
    )
    for followup in followups:
        if followup is not None:
            followup(moved)
    return moved


# --- CSV import -------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    dry_run: bool = False


@dataclass
class _Row:
    number: int
    code: str
    values: dict[str, Any]
    status: str
    depends_on: list[str] | None
    service: Service | None = None


class ServiceImportRefused(ValidationError):
    """A refused import: ``rows`` are the messages, one per bad row, "row N: …"."""

    def __init__(self, rows: list[str]) -> None:
        super().__init__({"rows": rows})
        self.rows = rows


def _cell(value: str | None) -> str:
    return from_cell(value)


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        out = []
        for name, errors in exc.error_dict.items():
            label = "" if name in ("__all__", "to") else f"{name}: "
            out += [f"{label}{m}" for e in errors for m in e.messages]
        return out
    return list(exc.messages)


def _read_rows(text: str) -> tuple[list[dict[str, str]], list[str]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise ServiceImportRefused(
            ["row 1: the file is empty; the first row must name the columns."]
        )
    reader.fieldnames = header
    unknown = [h for h in header if h not in SERVICE_CSV_COLUMNS]
    problems = []
    if unknown:
        problems.append(f"row 1: unknown columns {', '.join(unknown)}.")
    for required in ("code",):
        if required not in header:
            problems.append(f"row 1: the column '{required}' is missing.")
    if problems:
        raise ServiceImportRefused(problems)
    return list(reader), header


def _resolve(rows: list[dict[str, str]], header: list[str]) -> tuple[list[_Row], dict[int, str]]:
    """Turn text into values and references, reporting every unknown name per row."""
    users = {r.get("owner", "").strip() for r in rows} - {""}
    teams_codes = {r.get("owning_team", "").strip() for r in rows} - {""}
    cal_names = {r.get("service_hours", "").strip() for r in rows} - {""}
    people = {p.username: p for p in Person.objects.filter(username__in=users)}
    teams = {
        t.code: t
        for t in Team.objects.filter(
            code__in=teams_codes, organisation__kind=OrganisationKind.PROVIDER
        ).select_related("organisation")
    }
    calendars = {c.name: c for c in Calendar.objects.filter(name__in=cal_names)}
    codes = [_cell(r.get("code")) for r in rows]
    existing = {s.code: s for s in Service.objects.filter(code__in=codes).select_related("owner")}
    dep_codes = {
        c.strip() for r in rows for c in _cell(r.get("depends_on")).split(";") if c.strip()
    }
    known_codes = set(codes) | set(
        Service.objects.filter(code__in=dep_codes).values_list("code", flat=True)
    )
    seen: dict[str, int] = {}
    resolved: list[_Row] = []
    errors: dict[int, str] = {}
    for index, raw in enumerate(rows):
        number = index + 2  # row 1 is the header
        if None in raw:
            errors[number] = "more cells than columns."
            continue
        get = {k: _cell(v) for k, v in raw.items()}
        code = get.get("code", "")
        problems: list[str] = []
        if not code:
            problems.append("code is empty")
        elif code in seen:
            problems.append(f"code '{code}' is already on row {seen[code]}")
        else:
            seen[code] = number
        service = existing.get(code)
        values: dict[str, Any] = {}
        for name in ("name", "summary"):
            if name in header:
                values[name] = get.get(name, "")
        if not get.get("name") and ("name" in header or service is None):
            problems.append("name is empty")
        if "criticality" in header and get.get("criticality"):
            if get["criticality"] not in Criticality.values:
                problems.append(
                    f"criticality '{get['criticality']}' is not one of "
                    f"{', '.join(Criticality.values)}"
                )
            values["criticality"] = get["criticality"]
        status = get.get("status", "")
        if status and status not in ServiceStatus.values:
            problems.append(f"status '{status}' is not one of {', '.join(ServiceStatus.values)}")
        if "owner" in header:
            username = get.get("owner", "")
            if username:
                person = people.get(username)
                if person is None:
                    problems.append(f"owner '{username}' is not a known person")
                else:
                    values["owner"] = person
            elif service is None:
                problems.append("owner is empty")
        elif service is None:
            problems.append("owner is empty")
        if "owning_team" in header:
            team_code = get.get("owning_team", "")
            if team_code and team_code not in teams:
                problems.append(f"owning team '{team_code}' is not a team of the provider")
            values["owning_team"] = teams.get(team_code)
        if "service_hours" in header:
            cal = get.get("service_hours", "")
            if cal and cal not in calendars:
                problems.append(f"service hours calendar '{cal}' does not exist")
            values["service_hours"] = calendars.get(cal)
        if "next_review" in header:
            text = get.get("next_review", "")
            try:
                values["next_review"] = dt.date.fromisoformat(text) if text else None
            except ValueError:
                problems.append(f"next review '{text}' is not a date (YYYY-MM-DD)")
        deps: list[str] | None = None
        if "depends_on" in header:
            deps = [c.strip() for c in get.get("depends_on", "").split(";") if c.strip()]
            missing = [c for c in deps if c not in known_codes]
            if missing:
                problems.append(f"depends on unknown services {', '.join(missing)}")
        if problems:
            errors[number] = f"{'; '.join(problems)}."
            continue
        resolved.append(_Row(number, code, values, status, deps, service))
    return resolved, errors


def _changed(service: Service, values: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in values.items():
        current = getattr(service, name)
        if current != value:
            out[name] = value
    return out


def services_import_csv(*, actor: Person | None, text: str, dry_run: bool = False) -> ImportResult:
    """Create or update services by code from CSV (the columns of the export).

    Every row is read and checked first; then each is applied through the services above. If
    any row is refused, by the first check or by a service, nothing is kept and every bad row
    is reported ("row 4: owner: 'bob' is not a service owner …"; row 1 is the header).
    A missing column leaves that field as it is; an empty ``depends_on`` cell clears the
    dependencies. ``dry_run`` checks everything and keeps nothing.
    """
    require(actor, "portfolio.manage")
    rows, header = _read_rows(text)
    if not rows:
        raise ServiceImportRefused(["row 2: there are no services below the header."])
    resolved, errors = _resolve(rows, header)
    result = ImportResult(dry_run=dry_run)
    # Rows whose text is wrong are reported with what the services refuse in the other rows,
    # so one attempt lists every problem; any problem at all rolls the whole file back.
    failed: dict[int, list[str]] = {number: [message] for number, message in errors.items()}

    def attempt(row: _Row, call: Any) -> Any:
        try:
            with transaction.atomic():
                return call()
        except ValidationError as exc:
            failed.setdefault(row.number, []).extend(_messages(exc))
        return None

    with transaction.atomic():
        touched: set[str] = set()
        for row in resolved:  # 1. the records themselves
            if row.service is None:
                row.service = attempt(
                    row, lambda r=row: service_create(actor=actor, code=r.code, **r.values)
                )
                if row.service is not None:
                    result.created.append(row.code)
            else:
                changes = _changed(row.service, row.values)
                if changes:
                    row.service = (
                        attempt(
                            row,
                            lambda r=row, c=changes: service_update(
                                actor=actor, service=r.service, data=c
                            ),
                        )
                        or row.service
                    )
                    touched.add(row.code)
        by_code = {r.code: r.service for r in resolved if r.service is not None}
        for row in resolved:  # 2. dependencies, once every service of the file exists
            if row.depends_on is None or row.service is None or row.number in failed:
                continue
            wanted = {by_code.get(c) for c in row.depends_on} - {None}
            others = [c for c in row.depends_on if c not in by_code]
            deps = list(wanted) + list(Service.objects.filter(code__in=others))
            current = set(row.service.depends_on.values_list("pk", flat=True))
            if current != {d.pk for d in deps}:
                updated = attempt(
                    row,
                    lambda r=row, d=deps: service_update(
                        actor=actor, service=r.service, data={"depends_on": d}
                    ),
                )
                if updated is not None:
                    row.service = updated
                    touched.add(row.code)
        for row in resolved:  # 3. lifecycle moves
            if not row.status or row.service is None or row.number in failed:
                continue
            path = _status_path(row.service.status, row.status)
            if path is None:
                failed.setdefault(row.number, []).append(
                    f"status: a {row.service.status} service cannot become {row.status}."
                )
                continue
            for step in path:
                moved = attempt(
                    row,
                    lambda r=row, s=step: service_transition(
                        actor=actor, service=r.service, to_status=s
                    ),
                )
                if moved is None:
                    break
                row.service = moved
                touched.add(row.code)
        if failed:  # leaving the block by this exception rolls every row back
            raise ServiceImportRefused(
                [f"row {n}: {' '.join(msgs)}" for n, msgs in sorted(failed.items())]
            )
        created = set(result.created)
        result.updated = [r.code for r in resolved if r.code in touched and r.code not in created]
        result.unchanged = [
            r.code for r in resolved if r.code not in touched and r.code not in created
        ]
        if dry_run:
            transaction.set_rollback(True)
    return result


def _status_path(current: str, wanted: str) -> list[str] | None:
    """The transitions from ``current`` to ``wanted`` (``[]`` when already there)."""
    if current == wanted:
        return []
    if wanted in SERVICE_TRANSITIONS.get(current, frozenset()):
        return [wanted]
    return None
