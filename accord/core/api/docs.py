"""What every write endpoint of the API says the same way in its OpenAPI description: the
``If-Match`` header and the answers to refused writes. One wording, so the documentation of
each record reads alike and a change of the rule is made in one place."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='The version you saw, as its ETag ("3"); a stale one answers 412.',
)
INVALID = OpenApiResponse(
    description='`{"message", "code": "invalid", "errors": {field: [messages]}}`; nothing changed.'
)
DENIED = OpenApiResponse(description="Not part of your role; nothing changed.")
STALE = OpenApiResponse(description="Saved meanwhile by someone else (If-Match); nothing changed.")
