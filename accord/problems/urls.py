"""Pages of problem management: problems, the known-error database, proposals and review."""

from accord.problems.views import known_errors, problems, proposals

urlpatterns = [*problems.urlpatterns, *known_errors.urlpatterns, *proposals.urlpatterns]
