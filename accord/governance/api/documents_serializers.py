"""Serializers of the document register's API. They parse and present; services write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.core.selectors import organisations_visible_to, people_visible_to
from accord.governance.choices import CustomerAccess, DocumentKind, VersionStatus
from accord.governance.documents_forms import ROLE_CHOICES
from accord.governance.markdown import render_markdown
from accord.governance.models import Document, DocumentVersion
from accord.governance.selectors.documents import is_staff_reader
from accord.governance.services.documents import allowed_actions, review_notice_days

ACTIONS = ["edit", "submit", "return", "approve", "withdraw", "acknowledge"]


def _enum(choices: list[tuple[Any, str]], nullable: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "enum": [value for value, _ in choices]}
    if nullable:
        schema["enum"].append(None)
        schema["nullable"] = True
    return schema


@extend_schema_field(_enum(ROLE_CHOICES), component_name="StaffRoleEnum")
class StaffRoleField(serializers.ChoiceField):
    """A role of the provider's staff (or the auditor)."""


@extend_schema_field(_enum(DocumentKind.choices), component_name="DocumentKindEnum")
class DocumentKindField(serializers.ChoiceField):
    """A kind of controlled document."""


@extend_schema_field(_enum(CustomerAccess.choices), component_name="CustomerAccessEnum")
class CustomerAccessField(serializers.ChoiceField):
    """Which customers may read a document's version in force."""


@extend_schema_field(_enum(VersionStatus.choices), component_name="VersionStatusEnum")
class VersionStatusField(serializers.ChoiceField):
    """The status of a document version."""


def _user(serializer: serializers.Serializer[Any]) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class DocumentSerializer(serializers.ModelSerializer[Document]):
    kind = DocumentKindField(choices=DocumentKind.choices, required=False)
    owner = ScopedPrimaryKeyRelatedField(people_visible_to, required=False)
    owner_name = serializers.CharField(source="owner.__str__", read_only=True)
    approver_role = StaffRoleField(
        choices=ROLE_CHOICES,
        required=False,
        allow_null=True,
        help_text="Default: the kind's approver (top management for policy, scope, plan).",
    )
    customer_access = CustomerAccessField(choices=CustomerAccess.choices, required=False)
    customer_organisations = ScopedPrimaryKeyRelatedField(
        organisations_visible_to, many=True, required=False
    )
    reader_roles = serializers.ListField(
        child=StaffRoleField(choices=ROLE_CHOICES), required=False, max_length=20
    )
    acknowledge_roles = serializers.ListField(
        child=StaffRoleField(choices=ROLE_CHOICES), required=False, max_length=20
    )
    current_version = serializers.IntegerField(
        source="current_version.number", read_only=True, allow_null=True, default=None
    )
    review_due = serializers.SerializerMethodField()
    body = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=500_000,
        help_text="Creating: the text of version 1 (Markdown).",
    )
    change_summary = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=300
    )

    class Meta:
        model = Document
        fields = [
            "id",
            "reference",
            "title",
            "kind",
            "description",
            "owner",
            "owner_name",
            "approver_role",
            "review_interval_months",
            "next_review_on",
            "retention_years",
            "customer_access",
            "customer_organisations",
            "reader_roles",
            "acknowledge_roles",
            "current_version",
            "review_due",
            "body",
            "change_summary",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "reference", "version", "created_at", "updated_at"]
        extra_kwargs = {
            "title": {"required": False},
            "description": {"required": False},
            "review_interval_months": {"required": False},
            "retention_years": {"required": False},
            "next_review_on": {"required": False},
        }

    @extend_schema_field(serializers.BooleanField())
    def get_review_due(self, document: Document) -> bool:
        if document.current_version_id is None or document.next_review_on is None:
            return False
        horizon = timezone.localdate() + dt.timedelta(days=review_notice_days())
        return document.next_review_on <= horizon

    def to_representation(self, instance: Document) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not is_staff_reader(_user(self)):
            # A customer learns what the document is, not whom else it is shared with.
            for name in ("customer_organisations", "reader_roles", "acknowledge_roles"):
                data.pop(name, None)
        return data


class VersionSerializer(serializers.ModelSerializer[DocumentVersion]):
    status = VersionStatusField(choices=VersionStatus.choices, read_only=True)
    body_html = serializers.SerializerMethodField()
    based_on = serializers.IntegerField(
        source="based_on.number", read_only=True, allow_null=True, default=None
    )
    author_name = serializers.CharField(source="author.__str__", read_only=True)
    allowed_actions = serializers.SerializerMethodField()
    body = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=500_000, trim_whitespace=False
    )

    class Meta:
        model = DocumentVersion
        fields = [
            "id",
            "document",
            "number",
            "status",
            "body",
            "body_html",
            "change_summary",
            "based_on",
            "generated_from",
            "author",
            "author_name",
            "submitted_at",
            "review_comment",
            "approved_at",
            "approved_by",
            "approver_name",
            "approver_role",
            "superseded_at",
            "withdrawn_at",
            "withdrawn_reason",
            "allowed_actions",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            f for f in fields if f not in ("body", "change_summary", "generated_from")
        ]
        extra_kwargs = {
            "change_summary": {"required": False},
            "generated_from": {"required": False},
        }

    @extend_schema_field(serializers.CharField())
    def get_body_html(self, version: DocumentVersion) -> str:
        return render_markdown(version.body)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ACTIONS)))
    def get_allowed_actions(self, version: DocumentVersion) -> list[str]:
        return allowed_actions(_user(self), version)


class VersionActionSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=4000,
        help_text="Returning: what must change (required). Approving: an optional note.",
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, help_text="Withdrawing: why."
    )


class DiffLineSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["same", "added", "removed", "gap"])
    old = serializers.IntegerField(allow_null=True)
    new = serializers.IntegerField(allow_null=True)
    text = serializers.CharField()


class DiffSerializer(serializers.Serializer[Any]):
    against = serializers.IntegerField(allow_null=True)
    number = serializers.IntegerField()
    lines = DiffLineSerializer(many=True)
    unified = serializers.CharField()


class DiffQuerySerializer(serializers.Serializer[Any]):
    against = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2_147_483_647,
        help_text="The version to compare with (default: the one it was based on).",
    )
