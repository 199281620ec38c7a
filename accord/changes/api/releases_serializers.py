"""Serializers of the releases API. They parse and present; the services write."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accord.changes.api.changes_serializers import choice_field
from accord.changes.choices import ReleaseOutcome, ReleaseStatus, ReleaseType
from accord.changes.models import Release
from accord.changes.selectors.changes import changes_visible_to
from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.core.selectors import people_visible_to
from accord.problems.selectors.problems import problems_visible_to

#: What a status move of a release reads besides ``status``.
RELEASE_MOVE_FIELDS = frozenset({"sign_off_notes", "deployed_at", "outcome", "outcome_notes"})


def _people(person: Any):
    return people_visible_to(person)


class ReleaseSerializer(serializers.ModelSerializer[Release]):
    status = choice_field(
        ReleaseStatus.choices,
        "planned, building, testing, accepted, deployed, closed or cancelled; send it in a "
        "PATCH to move the release, with `sign_off_notes` (accepted), `deployed_at` "
        "(deployed), `outcome` and `outcome_notes` (closed).",
        required=False,
        name="ChangeReleaseStatusEnum",
    )
    release_type = choice_field(
        ReleaseType.choices, "major, minor, patch or emergency.", name="ChangeReleaseTypeEnum"
    )
    outcome = choice_field(
        ReleaseOutcome.choices,
        "How the release went (when closing).",
        blank=True,
        required=False,
        name="ChangeReleaseOutcomeOrBlankEnum",
    )
    owner = ScopedPrimaryKeyRelatedField(_people, required=False)
    changes = ScopedPrimaryKeyRelatedField(
        changes_visible_to, many=True, required=False, help_text="Ids of the changes it deploys."
    )
    known_errors = ScopedPrimaryKeyRelatedField(
        problems_visible_to,
        many=True,
        required=False,
        help_text="Ids of the known errors (problems) it ships with.",
    )

    class Meta:
        model = Release
        fields = [
            "id",
            "reference",
            "version",
            "name",
            "description",
            "release_type",
            "status",
            "owner",
            "planned_date",
            "deployed_at",
            "acceptance_criteria",
            "signed_off_by",
            "signed_off_at",
            "sign_off_notes",
            "outcome",
            "outcome_notes",
            "changes",
            "known_errors",
            "created_by",
            "created_at",
            "closed_at",
            "updated_at",
        ]
        read_only_fields = [
            "reference",
            "version",
            "signed_off_by",
            "signed_off_at",
            "created_by",
            "created_at",
            "closed_at",
            "updated_at",
        ]
        extra_kwargs = {"name": {"required": True}, "planned_date": {"required": True}}
