"""Pages of calendars and agreements (placeholder until the pages land)."""

urlpatterns: list = []
