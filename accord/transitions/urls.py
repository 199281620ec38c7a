"""Pages of service transitions: the list, planning one, one transition with its actions, and
its edit form."""

from accord.transitions.views import urlpatterns

__all__ = ["urlpatterns"]
