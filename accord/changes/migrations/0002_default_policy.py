"""Install the default change policy: the risk questionnaire and the approval matrix.

Each part is installed only when its table is empty, so a database that already holds a policy
keeps it. The data is written out here (not imported from the services) so that this step
stays what it was when later code changes. Going back removes nothing: the policy rows may be
referenced by changes by then, and the step before this one has no opinion about them.
"""

from django.db import migrations

QUESTIONS = (
    (
        "How many users are affected while the change is implemented?",
        (("None", 0), ("A team", 1), ("A customer", 3), ("Many customers", 5)),
    ),
    ("Has this change been done before?", (("Routinely", 0), ("Once or twice", 2), ("Never", 4))),
    ("Can it be backed out?", (("Quickly", 0), ("With effort", 2), ("No", 5))),
    ("Is the change tested in a test environment?", (("Yes", 0), ("Partly", 2), ("No", 4))),
)
RULES = (
    ("Standard changes are pre-approved", "standard", "", "automatic", "", "any", None),
    ("Normal low risk: a change manager", "normal", "low", "role", "change_manager", "any", None),
    (
        "Normal medium risk: the change authority",
        "normal",
        "medium",
        "role",
        "change_authority",
        "any",
        None,
    ),
    (
        "Normal high risk: a quorum of the change authority",
        "normal",
        "high",
        "role",
        "change_authority",
        "quorum",
        2,
    ),
    ("Normal high risk: a change manager", "normal", "high", "role", "change_manager", "any", None),
    ("Emergency: a change manager", "emergency", "", "role", "change_manager", "any", None),
)


def install(apps, schema_editor):
    RiskQuestion = apps.get_model("changes", "RiskQuestion")
    RiskAnswer = apps.get_model("changes", "RiskAnswer")
    ApprovalRule = apps.get_model("changes", "ApprovalRule")
    db = schema_editor.connection.alias
    if not RiskQuestion.objects.using(db).exists():
        for order, (text, answers) in enumerate(QUESTIONS):
            question = RiskQuestion.objects.using(db).create(text=text, order=order)
            RiskAnswer.objects.using(db).bulk_create(
                RiskAnswer(question=question, text=answer, weight=weight, order=i)
                for i, (answer, weight) in enumerate(answers)
            )
    if not ApprovalRule.objects.using(db).exists():
        ApprovalRule.objects.using(db).bulk_create(
            ApprovalRule(
                name=name,
                change_type=change_type,
                risk_class=risk_class,
                authority=authority,
                role=role,
                mode=mode,
                quorum=quorum,
                order=order,
            )
            for order, (name, change_type, risk_class, authority, role, mode, quorum) in enumerate(
                RULES
            )
        )


class Migration(migrations.Migration):
    dependencies = [("changes", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
