"""The files of a ticket in the REST API, shared by every ticket kind.

A ticket's viewset mixes in :class:`TicketFilesMixin` and says how its files are read and
written (``attachments_visible_to`` and ``attachment_add`` of its own selectors and services),
and gets ``{id}/attachments/`` (list, upload) and ``{id}/attachments/{attachment_id}/download/``
with the same rules everywhere: customers see public files only, a file answers only to those
who may see it, and a download is served as an attachment that a browser never renders.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import parsers, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accord.agreements import clocks
from accord.agreements.choices import AgreementKind, ClockState, Metric
from accord.agreements.models import TicketClock
from accord.core.api.base import StatusMoveViewSetMixin
from accord.core.choices import Priority
from accord.core.permissions import sees_all_organisations
from accord.tickets.models import Attachment, Comment

NOT_FOUND = OpenApiResponse(description="No such ticket, or not one you may see.")
INVALID = OpenApiResponse(
    description='`{"message", "code": "invalid", "errors": {field: [messages]}}`; nothing changed.'
)


def _enum(choices: list[tuple[Any, str]], kind: str = "string") -> dict[str, Any]:
    return {"type": kind, "enum": [value for value, _ in choices]}


def enum_field(
    choices: list[tuple[Any, str]], component_name: str, doc: str, kind: str = "string"
) -> type[serializers.ChoiceField]:
    """A choice field whose values are a named component of the API schema. Several ticket
    kinds have fields called status with other values: each gets its own component, so that
    neither kind's enum names collide with another's."""
    field = type(component_name.removesuffix("Enum") + "Field", (serializers.ChoiceField,), {})
    field.__doc__ = doc
    return extend_schema_field(_enum(choices, kind), component_name=component_name)(field)


@extend_schema_field(_enum(Priority.choices), component_name="TicketPriorityEnum")
class PriorityField(serializers.ChoiceField):
    """A priority, P1 … P4."""


@extend_schema_field(_enum(ClockState.choices), component_name="ClockStateEnum")
class ClockStateField(serializers.ChoiceField):
    """Where a clock stands now."""


def _person(serializer: serializers.BaseSerializer[Any]) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


def visible_readings(person: Any, readings: list[clocks.Reading]) -> list[clocks.Reading]:
    """The clock readings ``person`` may see: all for provider staff and auditors, the SLA
    clocks only for a customer (OLAs and UCs are the provider's internal business)."""
    if sees_all_organisations(person):
        return readings
    return [r for r in readings if r.clock.agreement_kind == AgreementKind.SLA]


# --- clocks -------------------------------------------------------------------------------------


class SlaSummarySerializer(serializers.Serializer[clocks.Reading]):
    metric = serializers.ChoiceField(
        choices=Metric.choices,
        source="clock.metric",
        help_text="What the clock measures: first_response, resolution or fulfilment.",
    )
    agreement = serializers.CharField(
        source="clock.agreement.code", help_text="Code of the agreement the target comes from."
    )
    kind = serializers.ChoiceField(
        choices=AgreementKind.choices,
        source="clock.agreement_kind",
        help_text="sla (customer), ola (internal team) or uc (supplier).",
    )
    state = ClockStateField(
        choices=ClockState.choices,
        help_text="running, paused, met or breached, computed now from the stored instants.",
    )
    due_at = serializers.DateTimeField(
        allow_null=True, help_text="When the target falls due; null once the clock stopped."
    )
    remaining_seconds = serializers.IntegerField(
        help_text="Business time left before the due instant, in seconds (0 once breached)."
    )
    breached = serializers.BooleanField(help_text="Whether the target was missed.")


class ClockAgreementSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="Id of the agreement.")
    code = serializers.CharField(help_text="Code of the agreement, e.g. SLA-CONTOSO.")
    name = serializers.CharField(help_text="Name of the agreement.")


class SlaClockSerializer(serializers.Serializer[clocks.Reading]):
    id = serializers.IntegerField(source="clock.pk", help_text="Id of the clock.")
    metric = serializers.ChoiceField(
        choices=Metric.choices,
        source="clock.metric",
        help_text="What the clock measures: first_response, resolution or fulfilment.",
    )
    agreement = ClockAgreementSerializer(
        source="clock.agreement", help_text="The agreement whose target the clock measures."
    )
    agreement_kind = serializers.ChoiceField(
        choices=AgreementKind.choices,
        source="clock.agreement_kind",
        help_text="sla (customer), ola (internal team) or uc (supplier).",
    )
    priority = PriorityField(
        choices=Priority.choices,
        source="clock.priority",
        help_text="The priority whose target the clock measures against.",
    )
    state = ClockStateField(
        choices=ClockState.choices,
        help_text="running, paused, met, breached or cancelled, computed now from the stored "
        "instants.",
    )
    due_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the target falls due in business time; null once stopped or cancelled.",
    )
    elapsed_seconds = serializers.IntegerField(
        help_text="Business time counted so far (pauses and closed hours left out), in seconds."
    )
    remaining_seconds = serializers.IntegerField(
        help_text="Business time left before the due instant, in seconds (0 once breached)."
    )
    breached = serializers.BooleanField(
        help_text="Whether the target was missed (stays true after a reopening)."
    )
    target_seconds = serializers.SerializerMethodField(
        help_text="The target, in seconds of business time."
    )
    started_at = serializers.DateTimeField(
        source="clock.started_at", help_text="When the clock started."
    )
    stopped_at = serializers.DateTimeField(
        source="clock.stopped_at",
        allow_null=True,
        help_text="When the clock stopped (target achieved or missed, or cancelled).",
    )
    paused = serializers.SerializerMethodField(
        help_text="Whether the clock is paused now (the ticket waits on the customer, on its "
        "approver, or on a supplier where the agreement pauses for that)."
    )

    @extend_schema_field(OpenApiTypes.INT)
    def get_target_seconds(self, reading: clocks.Reading) -> int:
        return int(reading.clock.target_duration.total_seconds())

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_paused(self, reading: clocks.Reading) -> bool:
        clock = reading.clock
        return clock.stopped_at is None and bool(clock.pauses) and clock.pauses[-1][1] is None


class CommentSerializer(serializers.ModelSerializer[Comment]):
    body = serializers.CharField(help_text="The text (plain text, at most 20,000 characters).")
    is_public = serializers.BooleanField(
        default=True,
        help_text="true: a reply the customer sees (default); false: an internal work note "
        "(provider staff only).",
    )
    author_name = serializers.StringRelatedField(
        source="author", read_only=True, allow_null=True, help_text="The author's name."
    )

    class Meta:
        model = Comment
        fields = ["id", "body", "is_public", "by_provider", "author", "author_name", "created_at"]
        read_only_fields = ["id", "by_provider", "author", "created_at"]
        extra_kwargs = {
            "id": {"help_text": "Id of the comment."},
            "by_provider": {"help_text": "Written by the provider's staff."},
            "author": {"help_text": "Who wrote it (id); null for the system."},
            "created_at": {"help_text": "When it was written."},
        }


# --- files --------------------------------------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    uploaded_by_name = serializers.StringRelatedField(
        source="uploaded_by", read_only=True, allow_null=True, help_text="The uploader's name."
    )
    download = serializers.SerializerMethodField(
        help_text="Where to download the file (only for those who may see it)."
    )

    class Meta:
        model = Attachment
        fields = [
            "id",
            "name",
            "media_type",
            "size",
            "sha256",
            "is_public",
            "uploaded_by",
            "uploaded_by_name",
            "created_at",
            "download",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Id of the attachment."},
            "name": {"help_text": "The file's original name."},
            "media_type": {"help_text": "The media type it is served with."},
            "size": {"help_text": "Size in bytes."},
            "sha256": {"help_text": "SHA-256 of the content (hex)."},
            "is_public": {"help_text": "Whether the customer sees it."},
            "uploaded_by": {"help_text": "Who uploaded it (id)."},
            "created_at": {"help_text": "When it was uploaded."},
        }

    @extend_schema_field(OpenApiTypes.URI)
    def get_download(self, attachment: Attachment) -> str:
        base = self.context.get("files_path", "")
        path = f"{base}{attachment.object_id}/attachments/{attachment.pk}/download/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class AttachmentUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(
        help_text="The file (multipart). PDF, images, text, logs, CSV, JSON, XML, e-mail, ZIP "
        "and office documents, up to the configured size (10 MB by default)."
    )
    is_public = serializers.BooleanField(
        default=True,
        help_text="Whether the customer sees it (default true; customers' files always are).",
    )


class TicketFilesMixin:
    """``attachments`` and ``download`` actions for a ticket viewset (see the module). Put it
    before the viewset's base: it relies on the viewset's ``get_object``,
    ``get_serializer_context`` and ``check_write``."""

    #: The list URL of the ticket kind, e.g. ``/api/v1/incidents/`` (for download links).
    files_path: str = ""
    request: Request

    def attachments_visible(self, ticket: Model) -> QuerySet[Attachment]:
        """The ticket's files ``self.request.user`` may see (the ticket app's selector)."""
        raise NotImplementedError

    def attachment_add(self, ticket: Model, upload: Any, is_public: bool) -> Attachment:
        """Store a file on the ticket through the ticket app's service."""
        raise NotImplementedError

    def _files_context(self) -> dict[str, Any]:
        return {**self.get_serializer_context(), "files_path": self.files_path}  # type: ignore[attr-defined]

    @extend_schema(
        methods=["get"],
        summary="List the files attached to a ticket",
        description="Oldest first; a customer's people see the public files only.",
        responses={200: AttachmentSerializer(many=True), 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["post"],
        summary="Attach a file to a ticket",
        description="A multipart upload (`file`, `is_public`). The type is checked by extension "
        "and content, the size against the limit; a refused file answers 400 under `file`. "
        "Files of a customer's people are always public.",
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, 400: INVALID, 404: NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filter_backends=[],
        pagination_class=None,
        parser_classes=[parsers.MultiPartParser, parsers.FormParser],
    )
    def attachments(self, request: Request, pk: str | None = None) -> Response:
        ticket = self.get_object()  # type: ignore[attr-defined]
        context = self._files_context()
        if request.method == "GET":
            rows = self.attachments_visible(ticket)
            return Response(AttachmentSerializer(rows, many=True, context=context).data)
        self.check_write(ticket)  # type: ignore[attr-defined]
        serializer = AttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attachment = self.attachment_add(
            ticket, serializer.validated_data["file"], serializer.validated_data["is_public"]
        )
        return Response(
            AttachmentSerializer(attachment, context=context).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Download an attached file",
        description="The file itself, as an attachment with its stored media type, to those "
        "who may see it; 404 for everyone else (a customer asking for an internal file too).",
        parameters=[
            OpenApiParameter(
                "attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Its id."
            )
        ],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="No such file, or not one you may see."),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>[0-9]{1,18})/download",
        url_name="attachment-download",
        filter_backends=[],
        pagination_class=None,
    )
    def download(self, request: Request, pk: str | None = None, attachment_id: str = "") -> Any:
        ticket = self.get_object()  # type: ignore[attr-defined]
        attachment = self.attachments_visible(ticket).filter(pk=int(attachment_id)).first()
        if attachment is None:
            raise Http404
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError as exc:  # the row outlived its file (restored database)
            raise Http404 from exc
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=attachment.name,
            content_type=attachment.media_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # A download answers with the file whatever the client accepts; errors stay JSON.
        return super().perform_content_negotiation(  # type: ignore[misc]
            request, force=force or getattr(self, "action", None) == "download"
        )


# --- ticket representations and viewsets ---------------------------------------------------------


class TicketClocksMixin:
    """The clock summary of a ticket serializer (``sla``), read once per ticket at the
    response's instant, from the list view's one query when given (``context["clocks"]``).

    A customer sees their SLA's clocks only, and the stored summary (``sla_due_at``,
    ``sla_breached``) covers internal clocks too: :meth:`customer_summary` recomputes it from
    what they may see."""

    context: dict[str, Any]

    def _person(self) -> Any:
        return getattr(self.context.get("request"), "user", None)

    def readings(self, ticket: Any) -> list[clocks.Reading]:
        cache = self.context.setdefault("_readings", {})
        if ticket.pk not in cache:
            loaded: list[TicketClock] | None = self.context.get("clocks", {}).get(ticket.pk)
            rows = loaded if loaded is not None else clocks.clocks_of(ticket)
            now = self.context.get("now") or timezone.now()
            cache[ticket.pk] = visible_readings(
                self._person(), [clocks.reading(c, now) for c in rows]
            )
        return cache[ticket.pk]

    @extend_schema_field(SlaSummarySerializer(many=True))
    def get_sla(self, ticket: Any) -> list[dict[str, Any]]:
        # One summary serializer per response, not per row: building its fields costs more
        # than writing a row's clocks.
        summary = self.context.get("_sla_summary")
        if summary is None:
            summary = self.context["_sla_summary"] = SlaSummarySerializer()
        return [
            summary.to_representation(r)
            for r in self.readings(ticket)
            if r.state != ClockState.CANCELLED
        ]

    def customer_summary(self, data: dict[str, Any], ticket: Any) -> None:
        """Put in ``data`` the summary of the clocks a customer sees (soonest due instant of a
        counting clock, any breach): the rule the services store for all clocks."""
        sla = [r.clock for r in self.readings(ticket) if r.clock.state != ClockState.CANCELLED]
        due = clocks.earliest_due(sla)
        data["sla_due_at"] = serializers.DateTimeField().to_representation(due) if due else None
        data["sla_breached"] = any(c.breached for c in sla)


class TicketViewSetMixin(StatusMoveViewSetMixin):
    """What every ticket kind's viewset shares. Put it before the viewset's base.

    One instant per request, so every clock in a response is read at the same time; the clocks
    of a whole list page in one query (``clocks_for``); a create answered with the clocks it
    started; and a refused status move that names the allowed next statuses as data."""

    #: ``clocks_for(tickets) -> {ticket id: [clocks]}`` of the ticket kind's selectors.
    clocks_for: Any
    #: ``allowed_transitions(person, ticket) -> [statuses]`` of the ticket kind's services.
    allowed_transitions: Any
    request: Request

    def now(self) -> dt.datetime:
        if not hasattr(self, "_now"):
            self._now = timezone.now()
        return self._now

    def get_serializer_context(self) -> dict[str, Any]:
        context = {**super().get_serializer_context(), "now": self.now()}  # type: ignore[misc]
        started = getattr(self, "_started", None)
        if started is not None:
            context["clocks"] = started
        return context

    def remember_started(self, ticket: Any) -> None:
        """The clocks a create just started are the answer's clocks: no need to read them."""
        self._started = {ticket.pk: ticket.started_clocks}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        viewset: Any = self
        page = viewset.paginate_queryset(viewset.filter_queryset(viewset.get_queryset()))
        rows = list(page or [])
        context = {**self.get_serializer_context(), "clocks": type(self).clocks_for(rows)}
        return viewset.get_paginated_response(
            viewset.get_serializer(rows, many=True, context=context).data
        )

    def detail_response(self, ticket: Any, code: int = status.HTTP_200_OK) -> Response:
        """The ticket as read now through the list's query, with its version as the ETag."""
        viewset: Any = self
        fresh = viewset.get_queryset().get(pk=ticket.pk)
        response = Response(viewset.get_serializer(fresh).data, status=code)
        response["ETag"] = f'"{fresh.version}"'
        return response
