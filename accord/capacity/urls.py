"""Pages of capacity management."""

urlpatterns: list = []
