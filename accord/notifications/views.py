"""The notifications page (a person's own notices, newest first, and marking them read) and
the pages where administrators adapt the mails customers receive.

The mail template pages are the provider's settings, not records of a customer: a person of a
customer organisation gets 403 whatever roles they hold, and so does provider staff without
``mail.templates``. Every change goes through ``accord.notifications.services``, which checks
the capability again, validates the placeholders, writes the audit trail and refuses a stale
save; the pages only parse input and show the services' refusals.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.http import require_POST

from accord.core.permissions import sees_all_organisations
from accord.core.records import StaleVersion
from accord.core.web import CapabilityRequiredMixin, paginate, run_service, scoped_object
from accord.notifications import services
from accord.notifications.choices import MailEvent
from accord.notifications.forms import MailTemplateForm, MailTemplateResetForm
from accord.notifications.mail_texts import EVENT_PLACEHOLDERS, PLACEHOLDER_HELP
from accord.notifications.models import MailTemplate
from accord.notifications.selectors import mail_templates, notifications_visible_to


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """The signed-in person's notifications; ``?unread=1`` shows the unread ones only."""
    notices = notifications_visible_to(request.user)
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        notices = notices.filter(read_at__isnull=True)
    return render(
        request,
        "notifications/list.html",
        {
            "page": paginate(request, notices),
            "unread_only": unread_only,
        },
    )


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notification-list")


@require_POST
@login_required
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of the person's notifications read; someone else's answers 404."""
    notice = scoped_object(notifications_visible_to, request.user, pk=pk)
    services.notification_mark_read(actor=request.user, notification=notice, now=timezone.now())  # type: ignore[arg-type]
    return _back(request)


@require_POST
@login_required
def notification_read_all(request: HttpRequest) -> HttpResponse:
    """Mark all of the person's notifications read."""
    services.notifications_mark_all_read(actor=request.user, now=timezone.now())  # type: ignore[arg-type]
    return _back(request)


# --- mail templates -------------------------------------------------------------------------

FORBIDDEN = "This page is not part of your role."


class MailTemplateAccessMixin(CapabilityRequiredMixin):
    """Anonymous people go to the login page; customers' people and staff without
    ``mail.templates`` get 403."""

    capability = services.MAIL_TEMPLATES

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not sees_all_organisations(request.user):
            raise PermissionDenied(FORBIDDEN)
        return super().dispatch(request, *args, **kwargs)


def _language_names() -> dict[str, str]:
    return dict(settings.LANGUAGES)


def _event_and_language(event: str, language: str) -> tuple[MailEvent, str]:
    if event not in MailEvent.values or language not in services.mail_languages():
        raise Http404("No such mail.")
    return MailEvent(event), language


class MailTemplateListView(MailTemplateAccessMixin, View):
    """``/notifications/templates/``: every customer mail in every language, and whether the
    shipped default or an adapted text is in force (one query, whatever the count)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        stored = {(t.event, t.language): t for t in mail_templates()}
        languages = _language_names()
        rows = []
        for event in MailEvent:
            cells = []
            for code in languages:
                row = stored.get((event.value, code))
                cells.append(
                    {
                        "language": code,
                        "template": row,
                        "adapted": row is not None and row.is_overridden,
                        "url": reverse("mail-template-edit", args=[event.value, code]),
                    }
                )
            rows.append({"event": event, "cells": cells})
        return render(
            request,
            "notifications/mail_templates.html",
            {"rows": rows, "languages": languages},
        )


class MailTemplateEditView(MailTemplateAccessMixin, View):
    """``/notifications/templates/<event>/<language>/``: the text in force, a preview with
    sample values, the placeholders the event offers, and saving or previewing a draft."""

    def get(self, request: HttpRequest, event: str, language: str) -> HttpResponse:
        event, language = _event_and_language(event, language)
        stored = self.stored(event, language)
        subject, body, source = services.mail_template_texts(event, language)
        form = MailTemplateForm(
            initial={
                "subject": subject,
                "body": body,
                "version": stored.version if stored is not None else 0,
            }
        )
        return self.render_page(event, language, form, stored, source, (subject, body))

    def post(self, request: HttpRequest, event: str, language: str) -> HttpResponse:
        event, language = _event_and_language(event, language)
        form = MailTemplateForm(request.POST)
        previewing = request.POST.get("action") == "preview"
        draft = None
        if form.is_valid():
            data = form.cleaned_data
            if previewing:
                checked = run_service(
                    form,
                    lambda: (
                        services.validate_mail_text(
                            event=event,
                            subject=" ".join(data["subject"].split()),
                            body=data["body"],
                        )
                        or True
                    ),
                )
                if checked:
                    draft = (data["subject"], data["body"])
            else:
                saved = run_service(
                    form,
                    lambda: services.mail_template_save(
                        actor=request.user,  # type: ignore[arg-type]
                        event=event,
                        language=language,
                        subject=data["subject"],
                        body=data["body"],
                        expected_version=data["version"],
                    ),
                )
                if saved is not None:
                    messages.success(request, f"Mail \u201c{event.label}\u201d ({language}) saved.")
                    return redirect("mail-template-list")
        stored = self.stored(event, language)
        _, _, source = services.mail_template_texts(event, language)
        status = 200 if previewing and draft is not None else 400
        return self.render_page(event, language, form, stored, source, draft, status=status)

    @staticmethod
    def stored(event: str, language: str) -> MailTemplate | None:
        return mail_templates().filter(event=event, language=language).first()

    def render_page(
        self,
        event: MailEvent,
        language: str,
        form: MailTemplateForm,
        stored: MailTemplate | None,
        source: str,
        draft: tuple[str, str] | None,
        status: int = 200,
    ) -> HttpResponse:
        user = self.request.user
        preview = None
        if draft is not None:
            preview = services.render_mail_text(
                event,
                language,
                draft[0],
                draft[1],
                services.sample_values(timezone.now()),
                time_zone=user.effective_time_zone,  # type: ignore[union-attr]
            )
        stale = getattr(form, "stale_version", None) is not None
        return render(
            self.request,
            "notifications/mail_template_edit.html",
            {
                "event": event,
                "language": language,
                "language_name": _language_names()[language],
                "form": form,
                "stored": stored,
                "source": source,
                "preview": preview,
                "placeholders": [
                    (name, PLACEHOLDER_HELP.get(name, "")) for name in EVENT_PLACEHOLDERS[event]
                ],
                "current_values": stored if stale else None,
                "reset_form": MailTemplateResetForm(
                    initial={"version": stored.version if stored is not None else 0}
                ),
            },
            status=status,
        )


class MailTemplateResetView(MailTemplateAccessMixin, View):
    """``POST /notifications/templates/<event>/<language>/reset/``: the shipped default again."""

    def post(self, request: HttpRequest, event: str, language: str) -> HttpResponse:
        event, language = _event_and_language(event, language)
        form = MailTemplateResetForm(request.POST)
        back = reverse("mail-template-edit", args=[event.value, language])
        if not form.is_valid():
            messages.error(request, "The form was incomplete; nothing was reset.")
            return redirect(back)
        try:
            services.mail_template_reset(
                actor=request.user,  # type: ignore[arg-type]
                event=event,
                language=language,
                expected_version=form.cleaned_data["version"],
            )
        except StaleVersion as exc:
            messages.error(request, f"{exc} Nothing was reset.")
            return redirect(back)
        messages.success(
            request, f"Mail \u201c{event.label}\u201d ({language}) reset to the default."
        )
        return redirect(back)
