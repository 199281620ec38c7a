"""Pages of availability management: figures against targets, and outages."""

from accord.availability.views import figures, outages

urlpatterns = [*figures.urlpatterns, *outages.urlpatterns]
