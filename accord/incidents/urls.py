"""Pages of incidents: the agent workspace, the incident page and its forms."""

urlpatterns: list = []
