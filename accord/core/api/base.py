"""Base classes every app's API builds on: scoped querysets, ETag / If-Match, service writes.

A concrete viewset declares its selector, serializer and filterset, and the two service calls
(``create_via_service`` and ``update_via_service``); the base does the rest the same way for all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.api.errors import django_validation_errors
from accord.core.permissions import require
from accord.core.records import StaleVersion

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')


def parse_if_match(request: Request) -> int | None:
    """The version the client saw, from ``If-Match`` (``"3"``, ``W/"3"``, ``3``; ``*`` = any)."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    match = _ETAG.match(header)
    if not match:
        return -1  # an entity tag this API never issued matches no version: 412
    return int(match.group(1))


def expected_version(request: Request, current: int) -> int | None:
    """The version named by ``If-Match`` (None without one), checked against ``current``
    before anything is done: a stale one stops an action here (412)."""
    expected = parse_if_match(request)
    if expected is not None and expected != current:
        raise StaleVersion(current)
    return expected


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id that must be visible to the requesting person, else 'does not exist'."""

    def __init__(self, selector: Callable[[Any], QuerySet[Any]], **kwargs: Any) -> None:
        self.selector = selector
        kwargs.setdefault("queryset", None)
        if kwargs.get("read_only"):
            kwargs.pop("queryset")
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        request = self.context.get("request")
        return self.selector(getattr(request, "user", None))


class ScopedViewSetMixin:
    """Takes the queryset from the record family's ``visible_to`` selector."""

    selector: Callable[[Any], QuerySet[Any]]
    request: Request

    def get_queryset(self) -> QuerySet[Any]:
        return self.selector(self.request.user)


def _with_etag(response: Response, instance: Any) -> Response:
    response["ETag"] = f'"{instance.version}"'
    return response


class VersionedModelViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """List, retrieve, create and update an editable record through its services."""

    http_method_names = ["get", "post", "patch", "put", "head", "options"]
    #: Capability needed to create or update; checked before the payload is looked at, so a
    #: person who may not write learns only that (403), not whether their payload was valid.
    #: The service checks again: this is the early answer, not the rule.
    write_capability: str | None = None

    def write_scope(self, instance: Any | None) -> Any:
        """The organisation whose records a write touches (for per-organisation roles)."""
        return getattr(instance, "organisation_id", None)

    def check_write(self, instance: Any | None) -> None:
        if self.write_capability:
            require(self.request.user, self.write_capability, self.write_scope(instance))

    def create_via_service(self, data: dict[str, Any]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def update_via_service(
        self, instance: Any, data: dict[str, Any], expected_version: int | None
    ) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        return _with_etag(Response(self.get_serializer(instance).data), instance)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.check_write(None)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.created_for_response(
            self.create_via_service(dict(serializer.validated_data))
        )
        # The serializer that read the request writes the answer: its fields are built already.
        serializer.instance = instance
        serializer.context.update(self.get_serializer_context())
        return _with_etag(Response(serializer.data, status=status.HTTP_201_CREATED), instance)

    def created_for_response(self, instance: Any) -> Any:
        """The record a create answers with: read back through the list's query (its joins and
        annotations), unless a view knows the service's instance carries all it shows."""
        return self.get_queryset().get(pk=instance.pk)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        self.check_write(instance)
        expected = parse_if_match(request)
        if expected is not None and expected != instance.version:
            raise StaleVersion(instance.version)
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        updated = self.update_via_service(instance, dict(serializer.validated_data), expected)
        updated = self.get_queryset().get(pk=updated.pk)
        return _with_etag(Response(self.get_serializer(updated).data), updated)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)


class StatusMoveViewSetMixin:
    """For a record whose status moves by PATCH (``{"status": ...}``): a refused move answers
    400 with the statuses the caller may move it to, as ``allowed_transitions`` beside the
    field errors, so a client learns what it can do instead. Put it before the viewset base and
    set ``allowed_transitions`` to the service's ``(person, record) -> list[str]``."""

    allowed_transitions: Callable[[Any, Any], list[str]]

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().partial_update(request, *args, **kwargs)  # type: ignore[misc]
        except DjangoValidationError as exc:
            if "status" not in getattr(exc, "error_dict", {}):
                raise
            current = self.get_object()  # type: ignore[attr-defined]
            return Response(
                {
                    "message": "The request was not valid.",
                    "code": "invalid",
                    "errors": django_validation_errors(exc),
                    "allowed_transitions": type(self).allowed_transitions(request.user, current),
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
