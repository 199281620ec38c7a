"""Every state-changing operation on configuration items, their types and relationships, and
the CSV import and export of configuration items.

Each service takes the acting person (``None`` for the trusted system: CLI and jobs), checks
``cmdb.manage`` for the organisation the record belongs to, validates, writes through
``accord.core.records`` (which audits) and returns the record, in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from accord.core import audit, records
from accord.core.choices import AuditAction
from accord.core.csvcells import from_cell, to_cell
from accord.core.models import Organisation, Person
from accord.core.permissions import has_capability, require, sees_all_organisations
from accord.portfolio.choices import CIRelationKind, CIStatus
from accord.portfolio.models import CIRelationship, CIType, ConfigurationItem
from accord.portfolio.selectors.ci import cis_visible_to

CAPABILITY = "cmdb.manage"
CI_TYPE_FIELDS = ("code", "name", "description")
CI_FIELDS = (
    "name",
    "ci_type",
    "status",
    "organisation",
    "owner",
    "description",
    "attributes",
    "last_verified",
)
RELATIONSHIP_FIELDS = ("source", "kind", "target", "organisation")

#: Limits of the attributes of one configuration item.
MAX_ATTRIBUTES = 100
MAX_ATTRIBUTE_KEY = 100
MAX_ATTRIBUTE_TEXT = 1000


def _reject_unknown(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))


# --- Attributes -------------------------------------------------------------------------------


def validate_attributes(value: Any) -> dict[str, str | int | float | bool]:
    """A flat JSON object whose values are strings, numbers or booleans; else ValidationError.

    Nested objects, lists, nulls and non-finite numbers are refused, so every attribute can be
    shown, filtered and exported as one cell.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(
            {"attributes": 'Attributes must be a JSON object, e.g. {"cpu": 4, "os": "Linux"}.'}
        )
    if len(value) > MAX_ATTRIBUTES:
        raise ValidationError({"attributes": f"At most {MAX_ATTRIBUTES} attributes."})
    problems = []
    for key, item in value.items():
        if not isinstance(key, str) or not key.strip():
            problems.append("Attribute names must be non-empty text.")
        elif len(key) > MAX_ATTRIBUTE_KEY:
            problems.append(f"Attribute name '{key[:20]}…' is longer than {MAX_ATTRIBUTE_KEY}.")
        elif isinstance(item, bool | int):
            if not isinstance(item, bool) and abs(item) >= 2**63:
                problems.append(f"Attribute '{key}' is a number too large to keep exactly.")
        elif isinstance(item, float):
            if not math.isfinite(item):
                problems.append(f"Attribute '{key}' must be a finite number.")
        elif isinstance(item, str):
            if len(item) > MAX_ATTRIBUTE_TEXT:
                problems.append(f"Attribute '{key}' is longer than {MAX_ATTRIBUTE_TEXT}.")
        else:
            problems.append(
                f"Attribute '{key}' must be text, a number or true/false, "
                "not a list, an object or null."
            )
    if problems:
        raise ValidationError({"attributes": problems})
    return dict(value)


# --- CI types ---------------------------------------------------------------------------------


def ci_type_create(*, actor: Person | None, code: str, name: str, description: str = "") -> CIType:
    require(actor, CAPABILITY)
    if CIType.objects.filter(code=code).exists():
        raise ValidationError({"code": f"A CI type with code '{code}' already exists."})
    ci_type = CIType(code=code, name=name, description=description)
    try:
        with transaction.atomic():
            return records.create_record(actor=actor, instance=ci_type, fields=CI_TYPE_FIELDS)
    except IntegrityError as exc:  # a concurrent creator won
        raise ValidationError({"code": f"A CI type with code '{code}' already exists."}) from exc


@transaction.atomic
def ci_type_update(*, actor: Person | None, ci_type: CIType, data: dict[str, Any]) -> CIType:
    """Change a type's code, name or description (types carry no version: they are data that
    administrators edit rarely, and the last save wins)."""
    require(actor, CAPABILITY)
    _reject_unknown(data, CI_TYPE_FIELDS)
    locked = CIType.objects.select_for_update().get(pk=ci_type.pk)
    code = data.get("code", locked.code)
    if CIType.objects.filter(code=code).exclude(pk=locked.pk).exists():
        raise ValidationError({"code": f"A CI type with code '{code}' already exists."})
    before = audit.snapshot(locked, CI_TYPE_FIELDS)
    for name, value in data.items():
        setattr(locked, name, value)
    locked.full_clean()
    changes = audit.diff(before, audit.snapshot(locked, CI_TYPE_FIELDS))
    if changes:
        locked.save()
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, changes=changes)
    return locked


# --- Configuration items ----------------------------------------------------------------------


def _check_owner(owner: Person | None, organisation: Organisation) -> None:
    """The owner is an active person of the CI's organisation or of the provider."""
    if owner is None:
        return
    if not owner.is_active:
        raise ValidationError({"owner": f"{owner} is inactive and cannot own a CI."})
    own_org = owner.organisation if owner.organisation_id else None
    if own_org is None or (own_org.pk != organisation.pk and not own_org.is_provider):
        raise ValidationError(
            {"owner": "The owner must belong to the CI's organisation or to the provider."}
        )


def _check_name_free(organisation: Organisation, name: str, exclude_pk: int | None = None) -> None:
    clash = ConfigurationItem.objects.filter(organisation=organisation, name=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError(
            {"name": f"{organisation} already has a configuration item named '{name}'."}
        )


def ci_create(
    *,
    actor: Person | None,
    name: str,
    ci_type: CIType,
    organisation: Organisation,
    status: str = CIStatus.IN_USE,
    owner: Person | None = None,
    description: str = "",
    attributes: dict[str, Any] | None = None,
    last_verified: dt.date | None = None,
) -> ConfigurationItem:
    require(actor, CAPABILITY, organisation)
    attributes = validate_attributes(attributes)
    _check_owner(owner, organisation)
    _check_name_free(organisation, name)
    ci = ConfigurationItem(
        name=name,
        ci_type=ci_type,
        status=status,
        organisation=organisation,
        owner=owner,
        description=description,
        attributes=attributes,
        last_verified=last_verified,
    )
    try:
        with transaction.atomic():
            return records.create_record(
                actor=actor, instance=ci, fields=CI_FIELDS, organisation=organisation
            )
    except IntegrityError as exc:  # a concurrent creator took the name
        raise ValidationError(
            {"name": f"{organisation} already has a configuration item named '{name}'."}
        ) from exc


@transaction.atomic
def ci_update(
    *,
    actor: Person | None,
    ci: ConfigurationItem,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> ConfigurationItem:
    """Change a CI. Moving it to another organisation needs ``cmdb.manage`` for both, and its
    outgoing relationships move with it (a relationship belongs to its source's organisation)."""
    require(actor, CAPABILITY, ci.organisation_id)
    data = dict(data)
    _reject_unknown(data, CI_FIELDS)
    organisation = data.get("organisation", ci.organisation)
    moving = organisation.pk != ci.organisation_id
    if moving:
        require(actor, CAPABILITY, organisation)
    if "attributes" in data:
        data["attributes"] = validate_attributes(data["attributes"])
    _check_owner(data.get("owner", ci.owner), organisation)
    _check_name_free(organisation, data.get("name", ci.name), exclude_pk=ci.pk)
    try:
        with transaction.atomic():
            updated = records.update_record(
                actor=actor,
                instance=ci,
                data=data,
                fields=CI_FIELDS,
                expected_version=expected_version,
                organisation=organisation,
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"name": f"{organisation} already has a configuration item named '{data['name']}'."}
        ) from exc
    if moving:
        CIRelationship.objects.filter(source=updated).update(organisation=organisation)
    return updated


@transaction.atomic
def ci_delete(*, actor: Person | None, ci: ConfigurationItem) -> None:
    """Delete a CI; its relationships are removed first, each with its own audit event."""
    require(actor, CAPABILITY, ci.organisation_id)
    rels = CIRelationship.objects.filter(source=ci) | CIRelationship.objects.filter(target=ci)
    for rel in rels.select_related("source", "target").order_by("pk"):
        records.delete_record(actor=actor, instance=rel, organisation=rel.organisation_id)
    records.delete_record(actor=actor, instance=ci, organisation=ci.organisation_id)


# --- Relationships ----------------------------------------------------------------------------


@transaction.atomic
def ci_relate(
    *,
    actor: Person | None,
    source: ConfigurationItem,
    kind: str,
    target: ConfigurationItem,
) -> CIRelationship:
    """Record ``source`` <kind> ``target``. Both ends must be visible to the actor; the
    relationship belongs to the source's organisation."""
    require(actor, CAPABILITY, source.organisation_id)
    if kind not in CIRelationKind.values:
        raise ValidationError(
            {
                "kind": f"Unknown relationship kind '{kind}'; use one of "
                f"{', '.join(CIRelationKind.values)}."
            }
        )
    if source.pk == target.pk:
        raise ValidationError({"target": "A configuration item cannot relate to itself."})
    if actor is not None:
        visible = set(
            cis_visible_to(actor).filter(pk__in=[source.pk, target.pk]).values_list("pk", flat=True)
        )
        if source.pk not in visible:
            raise ValidationError({"source": "Unknown configuration item."})
        if target.pk not in visible:
            raise ValidationError({"target": "Unknown configuration item."})
    duplicate = CIRelationship.objects.filter(source=source, kind=kind, target=target)
    if duplicate.exists():
        raise ValidationError(
            {"target": f"{source} already {CIRelationKind(kind).label} {target}."}
        )
    rel = CIRelationship(source=source, kind=kind, target=target, organisation=source.organisation)
    try:
        with transaction.atomic():
            return records.create_record(
                actor=actor,
                instance=rel,
                fields=RELATIONSHIP_FIELDS,
                organisation=source.organisation_id,
            )
    except IntegrityError as exc:  # a concurrent identical relationship won
        raise ValidationError(
            {"target": f"{source} already {CIRelationKind(kind).label} {target}."}
        ) from exc


def ci_unrelate(*, actor: Person | None, relationship: CIRelationship) -> None:
    require(actor, CAPABILITY, relationship.organisation_id)
    records.delete_record(
        actor=actor, instance=relationship, organisation=relationship.organisation_id
    )


# --- CSV --------------------------------------------------------------------------------------

CSV_COLUMNS = ("name", "type", "status", "organisation", "owner", "description", "attributes")
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 10_000


def ci_csv_rows(queryset: QuerySet[ConfigurationItem]) -> Iterator[list[str]]:
    """The header and one row per CI of ``queryset`` (start from ``cis_visible_to``)."""
    yield list(CSV_COLUMNS)
    qs = queryset.select_related("ci_type", "organisation", "owner").order_by(
        "organisation__code", "name", "pk"
    )
    for ci in qs.iterator(chunk_size=2000):
        yield [
            to_cell(v)
            for v in (
                ci.name,
                ci.ci_type.code,
                ci.status,
                ci.organisation.code,
                ci.owner.username if ci.owner_id else "",
                ci.description,
                json.dumps(ci.attributes, sort_keys=True, ensure_ascii=False)
                if ci.attributes
                else "",
            )
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def ci_csv_lines(queryset: QuerySet[ConfigurationItem]) -> Iterator[str]:
    """The export as CSV text, line by line (for streaming responses)."""
    writer = csv.writer(_Echo())
    for row in ci_csv_rows(queryset):
        yield writer.writerow(row)


def ci_csv_export(queryset: QuerySet[ConfigurationItem]) -> str:
    return "".join(ci_csv_lines(queryset))


@dataclass
class ImportResult:
    created: list[ConfigurationItem] = field(default_factory=list)
    updated: list[ConfigurationItem] = field(default_factory=list)
    unchanged: list[ConfigurationItem] = field(default_factory=list)
    dry_run: bool = False

    @property
    def summary(self) -> str:
        text = (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged"
        )
        return f"Checked, nothing saved: {text}." if self.dry_run else f"Imported: {text}."


@dataclass
class _Row:
    number: int
    name: str
    organisation: Organisation
    values: dict[str, Any]
    existing: ConfigurationItem | None


def _decode(content: bytes | str) -> str:
    if isinstance(content, str):
        return content
    if len(content) > MAX_IMPORT_BYTES:
        raise ValidationError({"file": f"The file is larger than {MAX_IMPORT_BYTES} bytes."})
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": "The file is not UTF-8 encoded text."}) from exc


def _read_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ValidationError({"file": f"row 1: {exc}"}) from exc
    if header is None:
        raise ValidationError({"file": "The file is empty; it needs a header row."})
    header = [h.strip().lower() for h in header]
    missing = [c for c in ("name", "type", "organisation") if c not in header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        raise ValidationError(
            {
                "file": "row 1: the header must name the columns "
                f"{', '.join(CSV_COLUMNS)} (name, type and organisation are required)"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; unknown {', '.join(unknown)}" if unknown else "")
                + "."
            }
        )
    rows = []
    number = 1  # records, not physical lines: a quoted cell may span several lines
    try:
        for values in reader:
            number += 1
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise ValidationError(
                    {"file": f"The file has more than {MAX_IMPORT_ROWS} rows; split it."}
                )
            if len(values) != len(header):
                rows.append((number, {"__error__": f"has {len(values)} cells, not {len(header)}"}))
                continue
            cells = [from_cell(v) for v in values]
            rows.append((number, dict(zip(header, cells, strict=True))))
    except csv.Error as exc:
        raise ValidationError({"file": f"row {number + 1}: {exc}"}) from exc
    return rows


def _row_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [
            (m if name == "__all__" else f"{name}: {m}")
            for name, errors in exc.error_dict.items()
            for error in errors
            for m in error.messages
        ]
    return list(exc.messages)


def _check_row(
    actor: Person | None,
    number: int,
    cells: dict[str, str],
    lookups: dict[str, dict[str, Any]],
    seen: dict[tuple[int, str], int],
) -> _Row:
    """Turn one row into service arguments, or raise ValidationError with its problems."""
    if "__error__" in cells:
        raise ValidationError(cells["__error__"])
    problems: list[str] = []
    name = cells.get("name", "").strip()
    if not name:
        problems.append("the name is empty")
    type_code = cells.get("type", "").strip()
    ci_type = lookups["types"].get(type_code)
    if ci_type is None:
        problems.append(f"unknown type '{type_code}'")
    org_code = cells.get("organisation", "").strip()
    organisation = lookups["organisations"].get(org_code)
    if organisation is None:
        problems.append(f"unknown organisation '{org_code}'")
    elif actor is not None and not has_capability(actor, CAPABILITY, organisation):
        problems.append(f"you may not manage configuration items of '{org_code}'")
    status = cells.get("status", "").strip() or CIStatus.IN_USE
    if status not in CIStatus.values:
        problems.append(f"unknown status '{status}' (use {', '.join(CIStatus.values)})")
    username = cells.get("owner", "").strip()
    owner = None
    if username:
        owner = lookups["people"].get(username.lower())
        if owner is None:
            problems.append(f"unknown owner '{username}'")
    attributes: Any = {}
    raw = cells.get("attributes", "").strip()
    if raw:
        try:
            attributes = json.loads(raw)
        except ValueError:
            problems.append("attributes are not valid JSON")
    if problems:
        raise ValidationError("; ".join(problems))
    assert organisation is not None and ci_type is not None
    key = (organisation.pk, name)
    if key in seen:
        raise ValidationError(f"'{name}' of '{org_code}' is already on row {seen[key]}")
    seen[key] = number
    validate_attributes(attributes)
    _check_owner(owner, organisation)
    values = {
        "name": name,
        "ci_type": ci_type,
        "status": status,
        "organisation": organisation,
        "owner": owner,
        "description": cells.get("description", ""),
        "attributes": attributes,
    }
    existing = lookups["existing"].get(key)
    candidate = ConfigurationItem(**values)
    if existing is not None:
        candidate.pk = existing.pk
    candidate.full_clean(
        exclude=["ci_type", "organisation", "owner"],
        validate_unique=False,
        validate_constraints=False,
    )
    return _Row(number, name, organisation, values, existing)


def _lookups(actor: Person | None, rows: list[tuple[int, dict[str, str]]]) -> dict[str, Any]:
    """Everything the rows refer to, fetched in a few queries (not one per row)."""
    types = {t.code: t for t in CIType.objects.all()}
    codes = {c.get("organisation", "").strip() for _, c in rows}
    orgs_qs = Organisation.objects.filter(code__in=codes)
    if actor is not None and not sees_all_organisations(actor):
        orgs_qs = orgs_qs.filter(pk=actor.organisation_id)
    organisations = {o.code: o for o in orgs_qs}
    usernames = {c.get("owner", "").strip().lower() for _, c in rows} - {""}
    people = {
        p.username.lower(): p
        for p in Person.objects.select_related("organisation").filter(username__in=list(usernames))
    }
    missing = usernames - set(people)
    if missing:  # usernames are unique regardless of case: look the rest up one by one
        for username in sorted(missing)[:200]:
            person = (
                Person.objects.select_related("organisation")
                .filter(username__iexact=username)
                .first()
            )
            if person is not None:
                people[username] = person
    names = {c.get("name", "").strip() for _, c in rows}
    existing = {
        (ci.organisation_id, ci.name): ci
        for ci in ConfigurationItem.objects.filter(
            organisation__in=list(organisations.values()), name__in=names
        )
    }
    return {"types": types, "organisations": organisations, "people": people, "existing": existing}


def ci_import_csv(
    *, actor: Person | None, content: bytes | str, dry_run: bool = False
) -> ImportResult:
    """Create or update configuration items from CSV, matched by (organisation, name).

    Every row is checked before anything is written; if any row is bad, nothing is imported
    and ValidationError lists each bad row (``row 3: unknown type 'SRV'``; the header is row 1).
    The writes go through ``ci_create`` / ``ci_update`` in one transaction, so the import is
    all or nothing even when a row is refused at write time.
    """
    require(actor, CAPABILITY)
    rows = _read_rows(_decode(content))
    if not rows:
        raise ValidationError({"file": "The file has a header but no rows."})
    lookups = _lookups(actor, rows)
    seen: dict[tuple[int, str], int] = {}
    checked: list[_Row] = []
    errors: list[str] = []
    for number, cells in rows:
        try:
            checked.append(_check_row(actor, number, cells, lookups, seen))
        except ValidationError as exc:
            errors.extend(f"row {number}: {m}" for m in _row_messages(exc))
    if errors:
        raise ValidationError({"file": errors})
    result = ImportResult(dry_run=dry_run)
    if dry_run:
        for row in checked:
            (result.updated if row.existing else result.created).append(
                row.existing or ConfigurationItem(**row.values)
            )
        return result
    with transaction.atomic():
        for row in checked:
            try:
                if row.existing is None:
                    result.created.append(ci_create(actor=actor, **row.values))
                    continue
                before = row.existing.version
                saved = ci_update(actor=actor, ci=row.existing, data=row.values)
                (result.updated if saved.version != before else result.unchanged).append(saved)
            except ValidationError as exc:
                raise ValidationError(
                    {"file": [f"row {row.number}: {m}" for m in _row_messages(exc)]}
                ) from exc
    return result
