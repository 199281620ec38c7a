"""Risk scoring: the questionnaire is data, the score is the sum of the chosen answers'
weights, the class follows from the thresholds, and bad answers are refused by name."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.changes.choices import RISK_ORDER
from accord.changes.models import RiskQuestion
from accord.changes.services.risk import assess_answers, risk_assess, risk_class_for
from tests.changes.factories import RiskQuestionFactory


@pytest.fixture
def questions(db):
    # The installation's default questionnaire is seeded; each test states its own questions.
    RiskQuestion.objects.all().delete()
    users = RiskQuestionFactory(text="Users affected?", answers=[("None", 0), ("Many", 5)])
    backout = RiskQuestionFactory(text="Can it be backed out?", answers=[("Yes", 0), ("No", 4)])
    return users, backout


def _answer(question, text):
    return question.answers.get(text=text)


def test_thresholds_from_settings(settings):
    settings.ACCORD_CHANGE_RISK_MEDIUM = 5
    settings.ACCORD_CHANGE_RISK_HIGH = 10
    assert [risk_class_for(s) for s in (0, 4, 5, 9, 10, 50)] == [
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
    ]


def test_score_is_sum_of_weights_and_keys_are_strings(questions, settings):
    settings.ACCORD_CHANGE_RISK_MEDIUM = 5
    settings.ACCORD_CHANGE_RISK_HIGH = 9
    users, backout = questions
    answers, score, risk_class = risk_assess(
        {users.pk: _answer(users, "Many").pk, str(backout.pk): str(_answer(backout, "No").pk)}
    )
    assert answers == {
        str(users.pk): _answer(users, "Many").pk,
        str(backout.pk): _answer(backout, "No").pk,
    }
    assert (score, risk_class) == (9, "high")


def test_unknown_question_is_named(questions):
    users, backout = questions
    with pytest.raises(ValidationError) as exc:
        risk_assess(
            {
                users.pk: _answer(users, "None").pk,
                backout.pk: _answer(backout, "Yes").pk,
                999999: 1,
            }
        )
    assert "999999" in str(exc.value.message_dict["risk_answers"])


def test_answer_of_another_question_is_refused(questions):
    users, backout = questions
    with pytest.raises(ValidationError) as exc:
        risk_assess({users.pk: _answer(backout, "No").pk, backout.pk: _answer(backout, "No").pk})
    assert "Users affected?" in str(exc.value.message_dict["risk_answers"])


def test_missing_active_question_is_named(questions):
    users, _ = questions
    with pytest.raises(ValidationError) as exc:
        risk_assess({users.pk: _answer(users, "None").pk})
    assert "Can it be backed out?" in str(exc.value.message_dict["risk_answers"])


def test_inactive_questions_are_ignored(questions):
    users, backout = questions
    backout.active = False
    backout.save()
    answers, score, risk_class = risk_assess(
        {users.pk: _answer(users, "Many").pk, backout.pk: _answer(backout, "No").pk}
    )
    assert answers == {str(users.pk): _answer(users, "Many").pk}
    assert (score, risk_class) == (5, "medium")


def test_a_partial_questionnaire_has_no_class_yet(questions):
    users, _ = questions
    answers, score, risk_class = assess_answers(
        {users.pk: _answer(users, "Many").pk}, complete=False
    )
    assert answers == {str(users.pk): _answer(users, "Many").pk}
    assert (score, risk_class) == (None, "")


def test_garbage_is_refused_cleanly(questions):
    with pytest.raises(ValidationError):
        risk_assess(["not", "a", "mapping"])  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        risk_assess({"abc": "def"})


@given(st.integers(0, 200), st.integers(0, 200))
def test_class_is_monotone_in_score(a, b):
    low, high = sorted((a, b))
    assert RISK_ORDER[risk_class_for(low)] <= RISK_ORDER[risk_class_for(high)]


class _Rollback(Exception):
    pass


@pytest.mark.django_db
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(st.lists(st.integers(0, 20), min_size=2, max_size=4), st.integers(0, 3)),
        min_size=1,
        max_size=5,
    )
)
def test_score_equals_sum_of_chosen_weights(spec):
    """Whatever the questionnaire and the choices, the score is the sum of the chosen weights
    and the class is the class of that sum."""
    try:
        with transaction.atomic():
            RiskQuestion.objects.all().delete()
            chosen = {}
            expected = 0
            for weights, pick in spec:
                question = RiskQuestionFactory(
                    answers=[(f"a{i}", w) for i, w in enumerate(weights)]
                )
                answer = list(question.answers.order_by("order"))[pick % len(weights)]
                chosen[question.pk] = answer.pk
                expected += answer.weight
            _, score, risk_class = risk_assess(chosen)
            assert score == expected
            assert risk_class == risk_class_for(expected)
            raise _Rollback
    except _Rollback:
        pass
