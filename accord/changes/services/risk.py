"""The risk questionnaire: weighted answers give a change's risk score and class.

The questions are data (``RiskQuestion`` with weighted ``RiskAnswer`` rows, kept by the change
manager), so the policy changes without a release. A change stores its answers as
``{question id (str): answer id}``; the score is the sum of the chosen answers' weights and the
class follows from the thresholds ``ACCORD_CHANGE_RISK_MEDIUM`` / ``ACCORD_CHANGE_RISK_HIGH``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from accord.changes.choices import RiskClass
from accord.changes.models import RiskAnswer, RiskQuestion


def risk_class_for(score: int) -> str:
    """low / medium / high by ACCORD_CHANGE_RISK_MEDIUM and ACCORD_CHANGE_RISK_HIGH."""
    if score >= settings.ACCORD_CHANGE_RISK_HIGH:
        return RiskClass.HIGH.value
    if score >= settings.ACCORD_CHANGE_RISK_MEDIUM:
        return RiskClass.MEDIUM.value
    return RiskClass.LOW.value


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def assess_answers(
    answers: Mapping[Any, Any] | None, *, complete: bool
) -> tuple[dict[str, int], int | None, str]:
    """Check ``answers`` against the active questions.

    With ``complete`` every active question must be answered (what ``risk_assess`` demands);
    without it a partial questionnaire is accepted, as a draft may be saved half-answered, and
    the score and class stay unknown (``None``, ``""``) until the last answer is given. Answers
    to questions no longer active are dropped: they no longer count towards the risk.
    """
    if answers is None:
        answers = {}
    if not isinstance(answers, Mapping):
        raise ValidationError(
            {"risk_answers": "The risk answers are a mapping of question to answer."}
        )
    questions = {q.pk: q for q in RiskQuestion.objects.all()}
    active = {pk for pk, q in questions.items() if q.active}
    weights = {
        a.pk: (a.question_id, a.weight)
        for a in RiskAnswer.objects.filter(question__in=list(questions) or [0])
    }
    errors: list[str] = []
    normalised: dict[str, int] = {}
    score = 0
    for raw_question, raw_answer in answers.items():
        question_id = _as_id(raw_question)
        if question_id is None or question_id not in questions:
            errors.append(f"There is no risk question {raw_question!s}.")
            continue
        if question_id not in active:
            continue
        answer_id = _as_id(raw_answer)
        if answer_id is None or weights.get(answer_id, (None, 0))[0] != question_id:
            errors.append(
                f"{raw_answer!s} is not an answer to the question "
                f"\u201c{questions[question_id].text}\u201d."
            )
            continue
        normalised[str(question_id)] = answer_id
        score += weights[answer_id][1]
    missing = [questions[pk] for pk in sorted(active, key=lambda pk: (questions[pk].order, pk))]
    missing = [q for q in missing if str(q.pk) not in normalised]
    if complete:
        errors.extend(f"Answer the question \u201c{q.text}\u201d." for q in missing)
    if errors:
        raise ValidationError({"risk_answers": errors})
    if missing:
        return normalised, None, ""
    return normalised, score, risk_class_for(score)


def risk_assess(answers: Mapping[Any, Any]) -> tuple[dict[str, int], int, str]:
    """Check ``answers`` ({question id: answer id}, keys and values int or str) against the
    active questions and return (normalised answers with str keys, score, class). An unknown
    question, an answer of another question, or a missing active question raises
    ValidationError naming it."""
    normalised, score, risk_class = assess_answers(answers, complete=True)
    return normalised, int(score or 0), risk_class
