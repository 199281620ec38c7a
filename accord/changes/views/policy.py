"""Pages of the change policy and of standard change templates.

``/changes/policy/`` shows the risk questionnaire, the approval matrix and the freeze windows
on one page; the change manager creates, edits and deletes them there through
:mod:`accord.changes.services.policy`. ``/changes/templates/`` lists the standard change
models, which the change manager writes, publishes and retires through
:mod:`accord.changes.services.templates`; whoever may use a published one raises a change from
it. Staff read everything; the forms and posts are the change manager's (403 for others); the
pages are not there at all for customers (404).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views import View

from accord.changes.choices import TemplateStatus
from accord.changes.models import ApprovalRule, RiskAnswer, RiskQuestion
from accord.changes.policy_forms import (
    ApprovalRuleForm,
    ChangeTemplateForm,
    FreezeWindowForm,
    RiskQuestionForm,
    approval_rule_initial,
    freeze_window_initial,
    risk_question_initial,
    template_initial,
)
from accord.changes.selectors.changes import (
    freeze_windows_visible_to,
    may_view,
    templates_visible_to,
)
from accord.changes.services import policy as policy_services
from accord.changes.services import templates as template_services
from accord.changes.views.calendar import FORBIDDEN, ChangeReaderMixin, may_manage_changes
from accord.core.choices import OrganisationKind, Role
from accord.core.models import Team
from accord.core.selectors import provider_staff
from accord.core.web import RecordFormView, paginate, scoped_object
from accord.portfolio.selectors.ci import cis_visible_to
from accord.portfolio.selectors.service import services_visible_to


def risk_questions_visible_to(person: Any) -> QuerySet[RiskQuestion]:
    if not may_view(person):
        return RiskQuestion.objects.none()
    return RiskQuestion.objects.prefetch_related(
        Prefetch("answers", queryset=RiskAnswer.objects.order_by("order", "pk"))
    )


def approval_rules_visible_to(person: Any) -> QuerySet[ApprovalRule]:
    if not may_view(person):
        return ApprovalRule.objects.none()
    return ApprovalRule.objects.select_related("team")


def provider_teams() -> QuerySet[Team]:
    return Team.objects.filter(
        organisation__kind=OrganisationKind.PROVIDER, is_active=True
    ).order_by("name")


class PolicyView(ChangeReaderMixin, View):
    """``/changes/policy/``: risk questions, approval matrix and freeze windows (current and
    coming ones; ``?past=1`` for all)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        freezes = freeze_windows_visible_to(user).prefetch_related("services")
        show_past = request.GET.get("past") == "1"
        if not show_past:
            freezes = freezes.filter(ends_at__gte=timezone.now())
        return render(
            request,
            "changes/policy.html",
            {
                "questions": list(risk_questions_visible_to(user)),
                "rules": list(approval_rules_visible_to(user)),
                "freezes": list(freezes.order_by("starts_at", "pk")),
                "show_past": show_past,
                "risk_medium": settings.ACCORD_CHANGE_RISK_MEDIUM,
                "risk_high": settings.ACCORD_CHANGE_RISK_HIGH,
                "may_manage": may_manage_changes(user),
            },
        )


class ManagerFormView(ChangeReaderMixin, RecordFormView):
    """A change manager's form: 404 for customers, 403 for other staff."""

    capability = "changes.manage"
    template_name = "changes/policy_form.html"
    list_url_name = "change-policy"
    anchor = ""

    def success_url(self, result: Any) -> str:
        return f"{reverse(self.list_url_name)}#{self.anchor}-{result.pk}"

    def cancel_url(self, obj: Any) -> str:
        return f"{reverse(self.list_url_name)}#{self.anchor}s"


class RiskQuestionFormView(ManagerFormView):
    form_class = RiskQuestionForm
    selector = staticmethod(risk_questions_visible_to)
    noun = "risk question"
    anchor = "question"

    def initial(self, obj: Any) -> dict[str, Any]:
        return risk_question_initial(obj) if obj is not None else {}

    def create(self, data: dict[str, Any]) -> Any:
        return policy_services.risk_question_create(actor=self.request.user, data=data)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return policy_services.risk_question_update(
            actor=self.request.user, question=obj, data=data, version=version
        )

    def success_message(self, result: Any) -> str:
        return "Risk question saved."


class ApprovalRuleFormView(ManagerFormView):
    form_class = ApprovalRuleForm
    selector = staticmethod(approval_rules_visible_to)
    noun = "approval rule"
    anchor = "rule"

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        return {"querysets": {"team": provider_teams()}}

    def initial(self, obj: Any) -> dict[str, Any]:
        return approval_rule_initial(obj) if obj is not None else {}

    def create(self, data: dict[str, Any]) -> Any:
        return policy_services.approval_rule_create(actor=self.request.user, data=data)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return policy_services.approval_rule_update(
            actor=self.request.user, rule=obj, data=data, version=version
        )


class FreezeWindowFormView(ManagerFormView):
    form_class = FreezeWindowForm
    selector = staticmethod(freeze_windows_visible_to)
    noun = "freeze window"
    anchor = "freeze"

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        services = services_visible_to(self.request.user).order_by("name")
        return {"querysets": {"services": services}}

    def initial(self, obj: Any) -> dict[str, Any]:
        return freeze_window_initial(obj) if obj is not None else {"allow_emergency": True}

    def create(self, data: dict[str, Any]) -> Any:
        return policy_services.freeze_window_create(actor=self.request.user, data=data)

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return policy_services.freeze_window_update(
            actor=self.request.user, window=obj, data=data, version=version
        )


class ManagerPostView(ChangeReaderMixin, View):
    """A change manager's button (POST only): 404 for customers, 403 for other staff; a
    refusal of the service comes back as a message."""

    selector: Callable[[Any], QuerySet[Any]]
    done = "Saved."

    def action(self, obj: Any) -> Any:
        raise NotImplementedError

    def target(self, obj: Any) -> str:
        return reverse("change-policy")

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = scoped_object(self.selector, request.user, pk=pk)
        if not may_manage_changes(request.user):
            raise PermissionDenied(FORBIDDEN)
        try:
            self.action(obj)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, self.done.format(obj=obj))
        return redirect(self.target(obj))


class FreezeWindowDeleteView(ManagerPostView):
    selector = staticmethod(freeze_windows_visible_to)
    done = "Freeze window {obj} deleted."

    def action(self, obj: Any) -> Any:
        return policy_services.freeze_window_delete(actor=self.request.user, window=obj)

    def target(self, obj: Any) -> str:
        return reverse("change-policy") + "#freezes"


class ApprovalRuleDeleteView(ManagerPostView):
    selector = staticmethod(approval_rules_visible_to)
    done = "Approval rule {obj} deleted."

    def action(self, obj: Any) -> Any:
        return policy_services.approval_rule_delete(actor=self.request.user, rule=obj)

    def target(self, obj: Any) -> str:
        return reverse("change-policy") + "#rules"


# --- Standard change templates ------------------------------------------------------------------


def raise_url(template: Any) -> str:
    """Where a standard change is raised from ``template``."""
    return f"{reverse('change-create-standard')}?template={template.pk}"


class TemplateListView(ChangeReaderMixin, View):
    """``/changes/templates/``: the standard change models, ``?status=`` to narrow."""

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = templates_visible_to(request.user).select_related("owner")
        status = request.GET.get("status", "")
        if status in TemplateStatus.values:
            rows = rows.filter(status=status)
        page = paginate(request, rows.prefetch_related("services").order_by("name"))
        return render(
            request,
            "changes/templates.html",
            {
                "page": page,
                "templates": page.object_list,
                "status": status,
                "statuses": TemplateStatus.choices,
                "may_manage": may_manage_changes(request.user),
            },
        )


class TemplateDetailView(ChangeReaderMixin, View):
    """``/changes/templates/<pk>/``: one template, how to raise it, publish and retire."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = request.user
        template = scoped_object(
            lambda u: templates_visible_to(u).select_related("owner", "published_by"), user, pk=pk
        )
        return render(
            request,
            "changes/template_detail.html",
            {
                "template": template,
                "services": list(template.services.order_by("name")),
                "configuration_items": list(template.configuration_items.order_by("name")),
                "raiser_teams": list(template.raiser_teams.order_by("name")),
                "raiser_roles": role_labels(template.raiser_roles),
                "may_manage": may_manage_changes(user),
                "may_raise": template_services.may_use_template(user, template),
                "raise_url": raise_url(template),
                "change_count": template.changes.count(),
            },
        )


def role_labels(codes: list[str]) -> list[str]:
    labels = dict(Role.choices)
    return [str(labels.get(code, code)) for code in codes or []]


class TemplateFormView(ChangeReaderMixin, RecordFormView):
    """``/changes/templates/new/`` and ``/changes/templates/<pk>/edit/``."""

    capability = "changes.manage"
    template_name = "changes/template_form.html"
    form_class = ChangeTemplateForm
    selector = staticmethod(templates_visible_to)
    noun = "standard change template"
    detail_url_name = "change-template-detail"
    list_url_name = "change-templates"

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        user = self.request.user
        return {
            "querysets": {
                "services": services_visible_to(user).order_by("name"),
                "configuration_items": cis_visible_to(user).order_by("name"),
                "raiser_teams": provider_teams(),
                "owner": provider_staff(),
            }
        }

    def initial(self, obj: Any) -> dict[str, Any]:
        if obj is not None:
            return template_initial(obj)
        return {"owner": self.request.user.pk}

    @staticmethod
    def owner_defaults(data: dict[str, Any]) -> dict[str, Any]:
        """No owner chosen: the writer on a new template, unchanged on an edit."""
        if data.get("owner") is None:
            data.pop("owner", None)
        return data

    def create(self, data: dict[str, Any]) -> Any:
        return template_services.template_create(
            actor=self.request.user, data=self.owner_defaults(data)
        )

    def update(self, obj: Any, data: dict[str, Any], version: int | None) -> Any:
        return template_services.template_update(
            actor=self.request.user, template=obj, data=self.owner_defaults(data), version=version
        )

    def success_message(self, result: Any) -> str:
        return f"Template {result} saved."


class TemplatePublishView(ManagerPostView):
    selector = staticmethod(templates_visible_to)
    done = "Template {obj} published: it may now be raised without approval."

    def action(self, obj: Any) -> Any:
        return template_services.template_publish(actor=self.request.user, template=obj)

    def target(self, obj: Any) -> str:
        return reverse("change-template-detail", args=[obj.pk])


class TemplateRetireView(TemplatePublishView):
    done = "Template {obj} retired: no new change may be raised from it."

    def action(self, obj: Any) -> Any:
        return template_services.template_retire(actor=self.request.user, template=obj)


urlpatterns: list[URLPattern] = [
    path("changes/policy/", PolicyView.as_view(), name="change-policy"),
    path(
        "changes/policy/risk-questions/new/",
        RiskQuestionFormView.as_view(),
        name="change-risk-question-create",
    ),
    path(
        "changes/policy/risk-questions/<int:pk>/edit/",
        RiskQuestionFormView.as_view(),
        name="change-risk-question-edit",
    ),
    path(
        "changes/policy/approval-rules/new/",
        ApprovalRuleFormView.as_view(),
        name="change-approval-rule-create",
    ),
    path(
        "changes/policy/approval-rules/<int:pk>/edit/",
        ApprovalRuleFormView.as_view(),
        name="change-approval-rule-edit",
    ),
    path(
        "changes/policy/approval-rules/<int:pk>/delete/",
        ApprovalRuleDeleteView.as_view(),
        name="change-approval-rule-delete",
    ),
    path(
        "changes/policy/freezes/new/", FreezeWindowFormView.as_view(), name="change-freeze-create"
    ),
    path(
        "changes/policy/freezes/<int:pk>/edit/",
        FreezeWindowFormView.as_view(),
        name="change-freeze-edit",
    ),
    path(
        "changes/policy/freezes/<int:pk>/delete/",
        FreezeWindowDeleteView.as_view(),
        name="change-freeze-delete",
    ),
    path("changes/templates/", TemplateListView.as_view(), name="change-templates"),
    path("changes/templates/new/", TemplateFormView.as_view(), name="change-template-create"),
    path(
        "changes/templates/<int:pk>/", TemplateDetailView.as_view(), name="change-template-detail"
    ),
    path(
        "changes/templates/<int:pk>/edit/", TemplateFormView.as_view(), name="change-template-edit"
    ),
    path(
        "changes/templates/<int:pk>/publish/",
        TemplatePublishView.as_view(),
        name="change-template-publish",
    ),
    path(
        "changes/templates/<int:pk>/retire/",
        TemplateRetireView.as_view(),
        name="change-template-retire",
    ),
]
