"""Pages of change management, and the public iCalendar feed (its secret link is the key)."""

from accord.changes.views import calendar, changes, feeds, policy, releases

urlpatterns = [
    *changes.urlpatterns,
    *calendar.urlpatterns,
    *policy.urlpatterns,
    *releases.urlpatterns,
    *feeds.urlpatterns,
]
