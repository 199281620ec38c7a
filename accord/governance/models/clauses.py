"""The ISO/IEC 20000-1:2018 clause register: reference data with an assessed conformity."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accord.core.models import Person, VersionedModel
from accord.governance.choices import CONFORMITY_COLOURS, Conformity


class Clause(VersionedModel):
    """A clause or sub-clause (4 to 10), its short title in Accord's words, and how far the
    organisation conforms to it as last assessed. The live evidence is computed, not stored."""

    number = models.CharField(max_length=16, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text="What the clause asks, in short.")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    position = models.PositiveIntegerField(default=0, help_text="Sort order (10 after 9).")
    status = models.CharField(
        max_length=16, choices=Conformity.choices, default=Conformity.NOT_ASSESSED
    )
    assessed_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assessed_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    documents = models.ManyToManyField("governance.Document", related_name="clauses", blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Conformity.values), name="governance_clause_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def colour(self) -> str:
        return CONFORMITY_COLOURS.get(self.status, "grey")

    @property
    def depth(self) -> int:
        return self.number.count(".")
