"""Pages of the portfolio: services, the catalogue and configuration items."""

from accord.portfolio.views import catalogue, ci, service

urlpatterns = [*service.urlpatterns, *catalogue.urlpatterns, *ci.urlpatterns]
