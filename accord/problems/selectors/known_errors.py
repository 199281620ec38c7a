"""Read queries of known errors, scoped to what the reader may see.

A known error is a problem in KNOWN_ERROR_STATUSES. Provider staff and auditors (``problems.view``)
see every known error with all its fields. A customer's people with
``known_errors.read_published`` see only the known errors whose workaround is published and
whose service their organisation has (an active SLA covering it) or that name their
organisation, and only the public fields; everyone else sees none. Every page and API list of
the known-error database starts here, and so do the suggestions on the incident page.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import django_filters
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accord.agreements.choices import AgreementKind, AgreementStatus
from accord.agreements.models import Agreement
from accord.core.permissions import has_capability, sees_all_organisations
from accord.incidents.models import Category, Incident
from accord.portfolio.models import ConfigurationItem, Service
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.selectors.service import services_visible_to
from accord.problems import matching
from accord.problems.choices import KNOWN_ERROR_STATUSES
from accord.problems.models import Problem, ProblemIncident

#: What a customer may read of a known error.
PUBLIC_FIELDS = ("id", "title", "service", "workaround", "known_error_at")
#: What a customer's text search looks in.
PUBLIC_SEARCH = ("title", "workaround")
#: How many candidates the suggestions read from the database at most (newest first).
CANDIDATE_LIMIT = 200
#: Score added when the known error names the incident's configuration item.
CI_BONUS = 0.25
#: Score added when the known error has the incident's category.
CATEGORY_BONUS = 0.1
#: A known error on the same service only (not the same CI) must share at least this much text.
MIN_TEXT_SCORE = 0.05


def _active(person: Any) -> bool:
    return person is not None and person.is_authenticated and person.is_active


def is_staff_reader(person: Any) -> bool:
    """Whether ``person`` reads known errors in full (provider staff and auditors)."""
    return sees_all_organisations(person) and has_capability(person, "problems.view")


def known_errors_visible_to(person: Any) -> QuerySet[Problem]:
    """The known errors ``person`` may see: all of them for staff, the published ones of their
    organisation's services for customers (public fields only), none for anyone else."""
    qs = Problem.objects.filter(status__in=KNOWN_ERROR_STATUSES).select_related("service")
    if is_staff_reader(person):
        return qs.select_related("category")
    if not _active(person) or person.organisation_id is None or sees_all_organisations(person):
        return qs.none()
    org_id = person.organisation_id
    if not has_capability(person, "known_errors.read_published", org_id):
        return qs.none()
    covered = Agreement.objects.filter(
        organisation_id=org_id, kind=AgreementKind.SLA, status=AgreementStatus.ACTIVE
    ).values("services")
    named = Problem.organisations.through.objects.filter(organisation_id=org_id).values(
        "problem_id"
    )
    return (
        qs.filter(workaround_published=True)
        .exclude(workaround="")
        .filter(Q(service_id__in=covered) | Q(pk__in=named))
        .only(*PUBLIC_FIELDS, "service__name", "service__code")
    )


# --- search -------------------------------------------------------------------------------------


def search_text(qs: QuerySet[Problem], q: str, *, public: bool = False) -> QuerySet[Problem]:
    """Known errors whose words contain ``q`` (title, description, root cause, workaround;
    for customers only the public title and workaround)."""
    q = q.strip()
    if not q:
        return qs
    fields = PUBLIC_SEARCH if public else (*PUBLIC_SEARCH, "description", "root_cause")
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": q})
    return qs.filter(condition)


def by_ci(qs: QuerySet[Problem], ci: Any) -> QuerySet[Problem]:
    """Known errors naming the configuration item (id or record)."""
    ci_id = getattr(ci, "pk", ci)
    through = Problem.configuration_items.through.objects.filter(configurationitem_id=ci_id)
    return qs.filter(pk__in=through.values("problem_id"))


def known_error_search(
    person: Any,
    *,
    q: str = "",
    service: Any = None,
    ci: Any = None,
    category: Any = None,
) -> QuerySet[Problem]:
    """The known errors ``person`` may see, narrowed by service, CI, category and text, newest
    first; staff rows carry ``incident_count`` (linked incidents) from the same query."""
    staff = is_staff_reader(person)
    qs = known_errors_visible_to(person)
    if service is not None:
        qs = qs.filter(service_id=getattr(service, "pk", service))
    if ci is not None:
        qs = by_ci(qs, ci)
    if category is not None:
        # Categories are internal: a customer's filter on them matches nothing rather than
        # revealing which known errors carry which category.
        qs = qs.filter(category_id=getattr(category, "pk", category)) if staff else qs.none()
    qs = search_text(qs, q, public=not staff)
    if staff:
        qs = qs.annotate(incident_count=Count("incident_links", distinct=True))
    return qs.order_by("-known_error_at", "-pk")


def _services(request: Any) -> QuerySet[Service]:
    return services_visible_to(getattr(request, "user", None)).order_by("name")


def _cis(request: Any) -> QuerySet[ConfigurationItem]:
    return cis_visible_to(getattr(request, "user", None)).order_by("name")


def _categories(request: Any) -> QuerySet[Category]:
    user = getattr(request, "user", None)
    if not is_staff_reader(user):
        return Category.objects.none()
    return Category.objects.order_by("name")


class KnownErrorFilterSet(django_filters.FilterSet):
    """The filters of the known-error list pages and of ``/api/v1/known-errors/``, with the
    choices each reader may see."""

    q = django_filters.CharFilter(method="filter_q", label="Search")
    service = django_filters.ModelChoiceFilter(queryset=_services, label="Service")
    ci = django_filters.ModelChoiceFilter(
        queryset=_cis, method="filter_ci", label="Configuration item"
    )
    category = django_filters.ModelChoiceFilter(queryset=_categories, label="Category")

    class Meta:
        model = Problem
        fields: list[str] = []

    def filter_q(self, queryset: QuerySet[Problem], name: str, value: str) -> QuerySet[Problem]:
        user = getattr(self.request, "user", None)
        return search_text(queryset, value, public=not is_staff_reader(user))

    def filter_ci(self, queryset: QuerySet[Problem], name: str, value: Any) -> QuerySet[Problem]:
        return by_ci(queryset, value)


def with_incident_count(qs: QuerySet[Problem], person: Any) -> QuerySet[Problem]:
    """Staff rows with ``incident_count``; customers' rows unchanged (the count is internal)."""
    if is_staff_reader(person):
        return qs.annotate(incident_count=Count("incident_links", distinct=True))
    return qs


# --- suggestions on an incident -----------------------------------------------------------------


class Suggestion(NamedTuple):
    """A known error that may apply to an incident, how well it matches and why."""

    problem: Problem
    score: float
    reasons: list[str]


def incident_text(incident: Incident) -> str:
    return f"{incident.title}\n{incident.description}"


def problem_text(problem: Problem) -> str:
    return f"{problem.title}\n{problem.description}\n{problem.workaround}"


def suggestions_for_incident(incident: Incident, *, limit: int = 5) -> list[Suggestion]:
    """Known errors that may apply to ``incident``, best first (see :func:`suggestions_for`);
    known errors already linked to it are left out."""
    return suggestions_for(
        service=incident.service,
        configuration_item=incident.configuration_item,
        category_id=incident.category_id,
        text=incident_text(incident),
        exclude_incident=incident,
        limit=limit,
    )


def suggestions_for(
    *,
    service: Service | None,
    configuration_item: ConfigurationItem | None,
    category_id: int | None,
    text: str,
    exclude_incident: Incident | None = None,
    limit: int = 5,
) -> list[Suggestion]:
    """Known errors that may apply to an incident with these service, CI, category and text:
    the incident page's panel and the incident form, while the agent types, both use it.

    Precision rule: a candidate has the service or the configuration item; nothing else is
    ever suggested. Candidates on the same service only must also share words with the text.
    The score is the text relevance (``matching.relevance`` of the text against the known
    error's title, description and workaround, the words of the service's and CI's names left
    out) plus a bonus for the same CI and for the same category. One query reads at most
    CANDIDATE_LIMIT newest candidates.
    """
    service_id = service.pk if service is not None else None
    ci_id = configuration_item.pk if configuration_item is not None else None
    if service_id is None and ci_id is None:
        return []
    through = Problem.configuration_items.through.objects
    match = Q()
    if service_id is not None:
        match |= Q(service_id=service_id)
    if ci_id is not None:
        match |= Q(pk__in=through.filter(configurationitem_id=ci_id).values("problem_id"))
        ci_match: Any = Exists(
            through.filter(problem_id=OuterRef("pk"), configurationitem_id=ci_id)
        )
    candidates = (
        Problem.objects.filter(status__in=KNOWN_ERROR_STATUSES)
        .filter(match)
        .select_related("service")
        .order_by("-known_error_at", "-pk")
    )
    if exclude_incident is not None:
        candidates = candidates.exclude(
            pk__in=ProblemIncident.objects.filter(incident=exclude_incident).values("problem_id")
        )
    if ci_id is not None:
        candidates = candidates.annotate(ci_match=ci_match)
    # The names of the service and CI are no evidence: being on the same service or CI is
    # scored on its own, and tickets often repeat the service's name in their titles.
    names = " ".join(n.name for n in (service, configuration_item) if n is not None)
    ignore = matching.tokens(names)
    found: list[Suggestion] = []
    for problem in candidates[:CANDIDATE_LIMIT]:
        same_ci = bool(getattr(problem, "ci_match", False))
        same_service = service_id is not None and problem.service_id == service_id
        other = problem_text(problem)
        score = matching.relevance(text, other, ignore)
        if not same_ci and score < MIN_TEXT_SCORE:
            continue
        reasons = []
        if same_service:
            reasons.append("same service")
        if same_ci:
            reasons.append("same CI")
            score += CI_BONUS
        if category_id is not None and problem.category_id == category_id:
            reasons.append("same category")
            score += CATEGORY_BONUS
        words = matching.shared_words(text, other, ignore=ignore)
        if words:
            reasons.append("similar words: " + ", ".join(words))
        found.append(Suggestion(problem, round(score, 3), reasons))
    found.sort(key=lambda s: (-s.score, -s.problem.pk))
    return found[:limit]


def suggestions_for_viewer(person: Any, incident: Incident) -> list[Suggestion] | None:
    """The suggestions the incident page shows ``person``: None (no panel) for anyone who does
    not read known errors in full, so customers never learn of unpublished known errors."""
    if not is_staff_reader(person):
        return None
    return suggestions_for_incident(incident)
