"""Load the clause register: every clause and sub-clause of ISO/IEC 20000-1:2018 from 4 to 10.

Idempotent by number: a clause already present keeps its row, title and assessment. Reversing
removes the loaded numbers again (sub-clauses first, their links to documents with them).
``accord load_clauses`` refreshes titles and summaries later without a migration.
"""

from django.db import migrations

from accord.governance.clause_data import CLAUSES, NUMBERS, parent_number, position_of


def load(apps, schema_editor):
    clause_model = apps.get_model("governance", "Clause")
    by_number = {}
    for index, data in enumerate(CLAUSES):
        parent_no = parent_number(data.number)
        clause, _ = clause_model.objects.get_or_create(
            number=data.number,
            defaults={
                "title": data.title,
                "summary": data.summary,
                "position": position_of(index),
                "parent": by_number.get(parent_no),
            },
        )
        if clause.parent_id is None and parent_no in by_number:
            clause.parent = by_number[parent_no]
            clause.save(update_fields=["parent"])
        by_number[data.number] = clause


def unload(apps, schema_editor):
    clause_model = apps.get_model("governance", "Clause")
    for number in sorted(NUMBERS, key=lambda n: n.count("."), reverse=True):
        clause_model.objects.filter(number=number).delete()


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
