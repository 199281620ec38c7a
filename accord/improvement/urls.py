"""Pages of the continual improvement register: the register, its board, one improvement with
its PDCA panels, the forms that raise, change and move improvements; and the nonconformity log
with its corrective actions."""

from accord.improvement.views import nonconformities, sources
from accord.improvement.views import urlpatterns as improvement_urlpatterns

urlpatterns = [*sources.urlpatterns, *improvement_urlpatterns, *nonconformities.urlpatterns]
