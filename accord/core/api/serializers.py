"""Serializers of the core API. They parse and present; services do the writing."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accord.core.api.base import ScopedPrimaryKeyRelatedField
from accord.core.choices import Role
from accord.core.models import AuditEvent, Organisation, Person, RoleAssignment, Team
from accord.core.selectors import organisations_visible_to, people_visible_to

_IDENTITY_FIELDS = ("username", "email", "first_name", "last_name")


class OrganisationSerializer(serializers.ModelSerializer[Organisation]):
    class Meta:
        model = Organisation
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "time_zone",
            "is_active",
            "notes",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]
        # Uniqueness is checked by the service, inside its transaction.
        extra_kwargs = {"code": {"validators": []}}


class TeamSerializer(serializers.ModelSerializer[Team]):
    organisation = ScopedPrimaryKeyRelatedField(organisations_visible_to)
    lead = ScopedPrimaryKeyRelatedField(people_visible_to, allow_null=True, required=False)
    members = ScopedPrimaryKeyRelatedField(people_visible_to, many=True, required=False)

    class Meta:
        model = Team
        fields = [
            "id",
            "organisation",
            "code",
            "name",
            "description",
            "email",
            "lead",
            "members",
            "is_active",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]
        validators: list[Any] = []


class PersonRoleSerializer(serializers.ModelSerializer[RoleAssignment]):
    class Meta:
        model = RoleAssignment
        fields = ["id", "role", "organisation"]


class PersonSerializer(serializers.ModelSerializer[Person]):
    organisation = ScopedPrimaryKeyRelatedField(organisations_visible_to)
    roles = PersonRoleSerializer(source="role_assignments", many=True, read_only=True)
    teams = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    password = serializers.CharField(
        write_only=True, required=False, style={"input_type": "password"}, max_length=256
    )

    class Meta:
        model = Person
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "organisation",
            "time_zone",
            "language",
            "job_title",
            "phone",
            "is_active",
            "roles",
            "teams",
            "password",
            "version",
            "date_joined",
            "last_login",
        ]
        read_only_fields = ["version", "date_joined", "last_login"]
        extra_kwargs = {"username": {"validators": []}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None and "password" in attrs:
            raise serializers.ValidationError(
                {"password": "Change passwords through the password change page or the CLI."}
            )
        if attrs.get("password"):
            # The service checks it too; here the refusal is reported on the password field.
            candidate = Person(**{k: v for k, v in attrs.items() if k in _IDENTITY_FIELDS})
            try:
                validate_password(attrs["password"], candidate)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


class RoleAssignmentSerializer(serializers.ModelSerializer[RoleAssignment]):
    person = ScopedPrimaryKeyRelatedField(people_visible_to)
    organisation = ScopedPrimaryKeyRelatedField(
        organisations_visible_to, allow_null=True, required=False
    )
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = RoleAssignment
        fields = ["id", "person", "role", "organisation", "created_at"]
        read_only_fields = ["created_at"]
        validators: list[Any] = []


class RoleDefinitionSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    capabilities = serializers.ListField(child=serializers.CharField())
    holders = serializers.IntegerField()


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "actor",
            "actor_label",
            "door",
            "request_id",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "organisation",
            "changes",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields
