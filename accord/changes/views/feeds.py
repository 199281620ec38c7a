"""The public address of an iCalendar feed of changes.

Calendar clients cannot sign in, so the secret token in the address is the credential: no
login, an unknown or revoked token answers 404, and the calendar shows what the feed's owner may
see at the moment it is read.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from accord.changes.selectors.ical import ical_for
from accord.changes.services.feeds import feed_read


@require_GET
def feed_view(request: HttpRequest, token: str) -> HttpResponse:
    """The feed as ``text/calendar``; private to the link's holder, never cached by proxies."""
    feed = feed_read(token)
    if feed is None:
        raise Http404("No such calendar.")
    body = ical_for(feed, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="changes.ics"'
    response["Cache-Control"] = "private, max-age=0, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


urlpatterns = [path("changes/calendar/<str:token>.ics", feed_view, name="change-feed")]
