"""The default evaluation criteria of improvements: value counts for, effort and risk against."""

from django.db import migrations

CRITERIA = [
    ("VALUE", "Value", "What it brings to customers and the provider.", 3, 1),
    ("EFFORT", "Effort", "How much work and money it takes.", -2, 2),
    ("RISK", "Risk", "What could go wrong while doing it.", -1, 3),
]


def seed(apps, schema_editor):
    Criterion = apps.get_model("improvement", "Criterion")
    for code, name, description, weight, position in CRITERIA:
        Criterion.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "weight": weight,
                "position": position,
            },
        )


def unseed(apps, schema_editor):
    Criterion = apps.get_model("improvement", "Criterion")
    Criterion.objects.filter(code__in=[c[0] for c in CRITERIA]).delete()


class Migration(migrations.Migration):
    dependencies = [("improvement", "0001_improvement_register")]

    operations = [migrations.RunPython(seed, unseed)]
