"""Pages of the continual improvement register: the register, its board, one improvement with
its PDCA panels, and the forms that raise, change and move improvements."""

from accord.improvement.views import urlpatterns

__all__ = ["urlpatterns"]
