"""Every write of capacity management (ISO/IEC 20000-1, 8.4.3): metrics with their thresholds,
scrape targets, scrapes run on demand, and CSV files of samples.

Who may do what: ``capacity.manage`` (capacity managers) defines metrics and scrape targets
and scrapes on demand; ``capacity.record`` (capacity managers, administrators, and the tokens
monitoring tools use) sends samples. ``actor=None`` is the system (jobs, the command line).
Samples are measurements, not records: they are not audited one by one (the metric and target
definitions are), and sending them is covered by :mod:`accord.capacity.ingest`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Mapping
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accord.capacity import prometheus
from accord.capacity.choices import Aggregation, CapacityKind
from accord.capacity.ingest import MAX_BATCH, IngestResult, Rejected, ingest, may_ingest
from accord.capacity.models import Metric, ScrapeTarget
from accord.core import records
from accord.core.models import Person, code_validator
from accord.core.permissions import has_capability, is_provider_staff, sees_all_organisations
from accord.portfolio.models import ConfigurationItem, Service

METRIC_FIELDS = (
    "code",
    "name",
    "description",
    "kind",
    "service",
    "configuration_item",
    "unit",
    "usable_capacity",
    "aggregation",
    "warning_threshold",
    "critical_threshold",
    "owner",
    "is_active",
    "prometheus_name",
    "prometheus_labels",
    "prometheus_scale",
)
METRIC_EDITABLE = frozenset(METRIC_FIELDS)
TARGET_FIELDS = ("name", "url", "interval_seconds", "is_active")
TARGET_EDITABLE = frozenset(TARGET_FIELDS)

MANAGE_DENIED = "Only capacity managers define capacity metrics and scrape targets."
#: Prometheus metric and label names (the exposition format's own rules).
PROMETHEUS_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
PROMETHEUS_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
#: Columns a CSV file of samples must have.
CSV_COLUMNS = ("metric", "at", "value")
#: Shortest interval between two scrapes of a target (the model's constraint).
MIN_INTERVAL = 30


# --- who may ------------------------------------------------------------------------------------


def may_manage(actor: Any) -> bool:
    """Provider staff holding ``capacity.manage``, or the system."""
    return actor is None or (
        sees_all_organisations(actor) and has_capability(actor, "capacity.manage")
    )


def _require_manage(actor: Any) -> None:
    if not may_manage(actor):
        raise PermissionDenied(MANAGE_DENIED)


# --- metrics ------------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or None when it is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _related(model: Any, value: Any, field: str, label: str, errors: dict[str, Any]) -> Any:
    if value in (None, ""):
        return None
    if isinstance(value, model):
        return value
    try:
        found = model.objects.filter(pk=value).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        errors[field] = f"No such {label}: {value}."
    return found


def _text(
    data: Mapping[str, Any],
    name: str,
    errors: dict[str, Any],
    *,
    limit: int,
    required: str = "",
) -> str:
    raw = data.get(name)
    value = "" if raw is None else raw
    if not isinstance(value, str):
        errors[name] = "Write text."
        return ""
    value = value.strip()
    if required and not value:
        errors[name] = required
    elif len(value) > limit:
        errors[name] = f"Keep it under {limit} characters."
    return value


def _labels(value: Any, errors: dict[str, Any]) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, Mapping):
        errors["prometheus_labels"] = 'Give the labels as an object, e.g. {"instance": "mail-01"}.'
        return {}
    labels: dict[str, str] = {}
    for key, label_value in value.items():
        if not isinstance(key, str) or not PROMETHEUS_LABEL.match(key):
            errors["prometheus_labels"] = f"{key!r} is not a Prometheus label name."
            return {}
        if not isinstance(label_value, str | int | float) or isinstance(label_value, bool):
            errors["prometheus_labels"] = f"Give the value of label {key!r} as text."
            return {}
        labels[key] = str(label_value)
    return labels


def _clean_metric(data: Mapping[str, Any], metric: Metric | None) -> dict[str, Any]:
    """Check ``data`` against the metric it will make (``metric`` None: a new one) and return
    the values to write; every problem is reported at once as field errors."""
    unknown = set(data) - METRIC_EDITABLE
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    creating = metric is None
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}

    def given(name: str) -> bool:
        return name in data or creating

    if given("code"):
        code = _text(data, "code", errors, limit=32, required="Give the metric a code.")
        if code and "code" not in errors:
            try:
                code_validator(code)
            except ValidationError as exc:
                errors["code"] = exc.messages
            else:
                taken = Metric.objects.filter(code=code)
                if metric is not None:
                    taken = taken.exclude(pk=metric.pk)
                if taken.exists():
                    errors["code"] = f"Another metric already has the code {code}."
        values["code"] = code
    if given("name"):
        values["name"] = _text(
            data, "name", errors, limit=200, required="Say what is measured, in a few words."
        )
    if "description" in data:
        values["description"] = _text(data, "description", errors, limit=10_000)
    if given("unit"):
        values["unit"] = _text(
            data, "unit", errors, limit=24, required="Give the unit (TB, %, users, hours ...)."
        )
    if given("kind"):
        kind = data.get("kind", CapacityKind.TECHNICAL)
        if kind not in CapacityKind.values:
            errors["kind"] = f"Choose one of: {', '.join(CapacityKind.values)}."
        values["kind"] = kind
    if given("aggregation"):
        aggregation = data.get("aggregation", Aggregation.PEAK)
        if aggregation not in Aggregation.values:
            errors["aggregation"] = f"Choose one of: {', '.join(Aggregation.values)}."
        values["aggregation"] = aggregation
    if "service" in data:
        values["service"] = _related(Service, data.get("service"), "service", "service", errors)
    if "configuration_item" in data:
        values["configuration_item"] = _related(
            ConfigurationItem,
            data.get("configuration_item"),
            "configuration_item",
            "configuration item",
            errors,
        )
    if given("owner"):
        owner = _related(Person, data.get("owner"), "owner", "person", errors)
        if owner is None and "owner" not in errors:
            errors["owner"] = "Name the person who watches this metric."
        elif owner is not None and not owner.is_active:
            errors["owner"] = f"{owner} is no longer active."
        elif owner is not None and not is_provider_staff(owner):
            errors["owner"] = f"{owner} is not on the provider's staff."
        values["owner"] = owner
    for name, label in (
        ("usable_capacity", "usable capacity"),
        ("warning_threshold", "warning threshold"),
        ("critical_threshold", "critical threshold"),
    ):
        if not given(name):
            continue
        number = _number(data.get(name))
        if number is None:
            errors[name] = f"Give the {label} as a number, in the metric's unit."
        elif number <= 0:
            errors[name] = f"The {label} must be above zero."
        values[name] = number
    if "is_active" in data:
        active = data.get("is_active")
        if not isinstance(active, bool):
            errors["is_active"] = "Say yes or no."
        values["is_active"] = bool(active)
    if "prometheus_name" in data:
        name = _text(data, "prometheus_name", errors, limit=200)
        if name and not PROMETHEUS_NAME.match(name):
            errors["prometheus_name"] = (
                f"{name!r} is not a Prometheus metric name (letters, digits, '_' and ':')."
            )
        values["prometheus_name"] = name
    if "prometheus_labels" in data:
        values["prometheus_labels"] = _labels(data.get("prometheus_labels"), errors)
    if "prometheus_scale" in data:
        scale = _number(data.get("prometheus_scale"))
        if scale is None or scale == 0:
            errors["prometheus_scale"] = "Give a number other than zero (bytes to TB: 1e-12)."
        values["prometheus_scale"] = scale

    def final(name: str) -> Any:
        if name in values:
            return values[name]
        return getattr(metric, name) if metric is not None else None

    def subject(name: str) -> Any:  # by id, so the stored record is not loaded
        if name in values:
            return values[name]
        return getattr(metric, f"{name}_id") if metric is not None else None

    if (
        subject("service") is None
        and subject("configuration_item") is None
        and not {"service", "configuration_item"} & set(errors)
    ):
        errors["service"] = "Name the service or the configuration item this metric measures."
    warning, critical = final("warning_threshold"), final("critical_threshold")
    if (
        warning is not None
        and critical is not None
        and not {"warning_threshold", "critical_threshold"} & set(errors)
        and warning >= critical
    ):
        field = "critical_threshold" if "critical_threshold" in data else "warning_threshold"
        errors[field] = (
            f"The warning threshold ({warning:g}) must lie below the critical threshold "
            f"({critical:g})."
        )
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def metric_create(*, actor: Any, data: Mapping[str, Any]) -> Metric:
    """Define a capacity metric. ``data``: the fields of :data:`METRIC_FIELDS` (service and
    configuration item as records or ids; at least one of them)."""
    _require_manage(actor)
    values = _clean_metric(data, None)
    metric = Metric(**values)
    return records.create_record(
        actor=actor, instance=metric, fields=METRIC_FIELDS, references_checked=True
    )


@transaction.atomic
def metric_update(
    *,
    actor: Any,
    metric: Metric,
    data: Mapping[str, Any],
    version: int | None = None,
) -> Metric:
    """Change a metric (the fields given only); ``version`` guards against a lost update. A
    change of thresholds applies from the next hour read: the current state is kept until
    then, so a lowered threshold raises its crossing through the usual job."""
    _require_manage(actor)
    locked = Metric.objects.select_for_update().get(pk=metric.pk)
    if version is not None and locked.version != version:
        raise records.StaleVersion(locked.version)
    values = _clean_metric(data, locked)
    return records.update_record(
        actor=actor, instance=locked, data=values, fields=METRIC_FIELDS, expected_version=version
    )


# --- scrape targets -----------------------------------------------------------------------------


def _clean_target(data: Mapping[str, Any], target: ScrapeTarget | None) -> dict[str, Any]:
    unknown = set(data) - TARGET_EDITABLE
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    creating = target is None
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if "name" in data or creating:
        name = _text(data, "name", errors, limit=120, required="Give the target a name.")
        if name and "name" not in errors:
            taken = ScrapeTarget.objects.filter(name=name)
            if target is not None:
                taken = taken.exclude(pk=target.pk)
            if taken.exists():
                errors["name"] = f"Another scrape target is already called {name}."
        values["name"] = name
    if "url" in data or creating:
        url = _text(data, "url", errors, limit=500, required="Give the address of the endpoint.")
        if url and "url" not in errors:
            problem = prometheus.check_url(url)
            if problem:
                errors["url"] = problem
            elif any(c.isspace() for c in url):
                errors["url"] = "An address has no spaces."
        values["url"] = url
    if "interval_seconds" in data:
        raw = data.get("interval_seconds")
        if isinstance(raw, bool) or not isinstance(raw, int):
            errors["interval_seconds"] = "Give the interval in whole seconds."
        elif raw < MIN_INTERVAL:
            errors["interval_seconds"] = f"Scrape at most every {MIN_INTERVAL} seconds."
        values["interval_seconds"] = raw
    if "is_active" in data:
        active = data.get("is_active")
        if not isinstance(active, bool):
            errors["is_active"] = "Say yes or no."
        values["is_active"] = bool(active)
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def target_create(*, actor: Any, data: Mapping[str, Any]) -> ScrapeTarget:
    """Add an endpoint to scrape. ``data``: name, url, interval_seconds, is_active."""
    _require_manage(actor)
    target = ScrapeTarget(**_clean_target(data, None))
    return records.create_record(
        actor=actor, instance=target, fields=TARGET_FIELDS, references_checked=True
    )


@transaction.atomic
def target_update(
    *,
    actor: Any,
    target: ScrapeTarget,
    data: Mapping[str, Any],
    version: int | None = None,
) -> ScrapeTarget:
    """Change a scrape target (the fields given only); ``version`` guards a lost update."""
    _require_manage(actor)
    locked = ScrapeTarget.objects.select_for_update().get(pk=target.pk)
    if version is not None and locked.version != version:
        raise records.StaleVersion(locked.version)
    values = _clean_target(data, locked)
    return records.update_record(
        actor=actor, instance=locked, data=values, fields=TARGET_FIELDS, expected_version=version
    )


def target_delete(*, actor: Any, target: ScrapeTarget) -> None:
    """Stop scraping an endpoint for good (its samples stay with their metrics)."""
    _require_manage(actor)
    records.delete_record(actor=actor, instance=target)


def scrape(
    target: ScrapeTarget,
    now: dt.datetime,
    *,
    actor: Any = None,
    timeout: float | None = None,
) -> prometheus.ScrapeOutcome:
    """Scrape ``target`` now (the job, or a capacity manager trying a new target). The outcome
    is also recorded on the target; an endpoint that fails is an outcome, never an exception."""
    _require_manage(actor)
    return prometheus.scrape_target(target, now=now, timeout=timeout)


# --- CSV files of samples -----------------------------------------------------------------------


def _rows(file: IO[bytes] | IO[str] | bytes | str) -> Iterable[str]:
    """The lines of ``file`` as text (UTF-8, a byte order mark skipped)."""
    if isinstance(file, bytes):
        file = io.BytesIO(file)
    elif isinstance(file, str):
        file = io.StringIO(file)
    probe = file.read(0)
    if isinstance(probe, bytes):
        return codecs.getreader("utf-8-sig")(file)  # type: ignore[arg-type]
    return file  # type: ignore[return-value]


def ingest_csv(
    file: IO[bytes] | IO[str] | bytes | str, *, actor: Any, now: dt.datetime
) -> IngestResult:
    """Store the samples of a CSV file with the header ``metric,at,value`` (other columns are
    ignored). Each data row is checked like a point of a batch; ``index`` of a refused row is
    its row number (1-based, header excluded), as a spreadsheet user counts it. A file that is
    not UTF-8 text, lacks a column or has more rows than a batch allows stores nothing."""
    if not may_ingest(actor):
        raise PermissionDenied("Only capacity managers send capacity samples.")
    try:
        reader = csv.reader(_rows(file))
        header = next(reader, None)
        if header is None:
            raise ValidationError({"file": "The file is empty: give the header metric,at,value."})
        names = [h.strip().lower() for h in header]
        missing = [c for c in CSV_COLUMNS if c not in names]
        if missing:
            raise ValidationError(
                {
                    "file": f"The header lacks the column{'s' if len(missing) > 1 else ''} "
                    f"{', '.join(missing)}: it must name metric, at and value."
                }
            )
        where = {c: names.index(c) for c in CSV_COLUMNS}
        points: list[Any] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                points.append(None)  # a blank line keeps its number but is no sample
                continue
            points.append({c: (row[i].strip() if i < len(row) else None) for c, i in where.items()})
            if len(points) > MAX_BATCH:
                raise ValidationError(
                    {"file": f"Send at most {MAX_BATCH} rows in one file; split it."}
                )
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": "The file is not UTF-8 text."}) from exc
    except csv.Error as exc:
        raise ValidationError({"file": f"The file is not valid CSV: {exc}."}) from exc
    rows = [(number, p) for number, p in enumerate(points, start=1) if p is not None]
    result = ingest([p for _, p in rows], actor=actor, now=now)
    result.rejected = [Rejected(rows[r.index][0], r.errors) for r in result.rejected]
    return result
