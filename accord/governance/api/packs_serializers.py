"""Serializers of the audit pack API: metadata only; the ZIP is its own download."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accord.governance.models import AuditPack


class PackFileSerializer(serializers.Serializer[Any]):
    path = serializers.CharField(help_text="Where the file is in the ZIP.")
    bytes = serializers.IntegerField(help_text="Its size.")
    sha256 = serializers.CharField(help_text="Its SHA-256, as in SHA256SUMS.")
    description = serializers.CharField(help_text="What it is.")


class AuditPackSerializer(serializers.ModelSerializer[AuditPack]):
    """A pack as stored: who generated it when, the ZIP's name, size and SHA-256, the files
    inside it, and where to download it."""

    generated_by = serializers.SerializerMethodField(
        help_text="Who generated it (empty: the system)."
    )
    files = PackFileSerializer(
        source="manifest", many=True, read_only=True, help_text="The files of the pack."
    )
    download_url = serializers.SerializerMethodField(help_text="The ZIP (application/zip).")

    class Meta:
        model = AuditPack
        fields = [
            "id",
            "reference",
            "generated_at",
            "generated_by",
            "filename",
            "size",
            "sha256",
            "files",
            "download_url",
        ]
        read_only_fields = fields

    def get_generated_by(self, pack: AuditPack) -> str:
        return str(pack.generated_by) if pack.generated_by_id else ""

    @extend_schema_field(serializers.URLField())
    def get_download_url(self, pack: AuditPack) -> str:
        url = reverse("audit-pack-api-download", args=[pack.pk])
        request = self.context.get("request")
        return str(request.build_absolute_uri(url)) if request is not None else url
