"""The notifications page: a person's own notices, newest first, and marking them read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accord.core.web import paginate, scoped_object
from accord.notifications import services
from accord.notifications.selectors import notifications_visible_to


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
