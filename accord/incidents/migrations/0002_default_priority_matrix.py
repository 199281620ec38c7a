"""Seed the priority matrix with the common service desk matrix (changeable afterwards)."""

from django.db import migrations

DEFAULT = {
    (1, 1): "P1",
    (1, 2): "P2",
    (1, 3): "P3",
    (2, 1): "P2",
    (2, 2): "P3",
    (2, 3): "P4",
    (3, 1): "P3",
    (3, 2): "P4",
    (3, 3): "P4",
}


def seed(apps, schema_editor):
    cell = apps.get_model("incidents", "PriorityCell")
    for (impact, urgency), priority in DEFAULT.items():
        cell.objects.get_or_create(impact=impact, urgency=urgency, defaults={"priority": priority})


def unseed(apps, schema_editor):
    apps.get_model("incidents", "PriorityCell").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
