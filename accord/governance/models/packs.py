"""Audit packs: one ZIP with everything a certification auditor asks for first, kept as it
was generated so that what was handed over can be shown again."""

from __future__ import annotations

from django.db import models

from accord.core.models import Person


class AuditPack(models.Model):
    """A generated audit pack. ``content`` holds the ZIP; ``manifest`` lists each file with its
    size and SHA-256, as the manifest inside the ZIP does; ``sha256`` is the ZIP's own."""

    reference = models.CharField(max_length=16, unique=True, editable=False)
    generated_at = models.DateTimeField()
    generated_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(max_length=120)
    content = models.BinaryField(editable=False)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    manifest = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-generated_at", "-pk"]

    def __str__(self) -> str:
        return self.reference
