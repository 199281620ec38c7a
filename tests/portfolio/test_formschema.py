"""The request-form definition language: definitions, answers and the Django form built from a
definition. Pure code, tested without the database; properties with hypothesis."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.portfolio.choices import FormFieldType
from accord.portfolio.formschema import (
    FIELD_KEYS,
    MAX_FIELDS,
    build_form,
    clean_answers,
    definition_errors,
    validate_definition,
)

# --- Strategies --------------------------------------------------------------------------------

NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True)
SAFE_TEXT = st.text(max_size=40).filter(lambda s: "\x00" not in s)
LABELS = st.text(min_size=1, max_size=60).filter(lambda s: s.strip() and "\x00" not in s)
CHOICE_TEXT = st.text(min_size=1, max_size=20).filter(lambda s: s.strip() and "\x00" not in s)
BOUNDS = st.one_of(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
)
EMAILS = st.from_regex(
    r"[a-z0-9]{1,12}(\.[a-z0-9]{1,8})?@[a-z]{1,12}\.(com|org|test)", fullmatch=True
)


@st.composite
def fields(draw, name: str) -> dict:
    kind = draw(st.sampled_from(FormFieldType.values))
    field: dict = {"name": name, "label": draw(LABELS), "type": kind}
    if draw(st.booleans()):
        field["required"] = draw(st.booleans())
    if draw(st.booleans()):
        field["help"] = draw(SAFE_TEXT)
    if kind in ("choice", "multichoice"):
        field["choices"] = draw(st.lists(CHOICE_TEXT, min_size=1, max_size=6, unique=True))
    if kind == "number":
        low, high = sorted([draw(BOUNDS), draw(BOUNDS)])
        if draw(st.booleans()):
            field["min"] = low
        if draw(st.booleans()):
            field["max"] = high
    if kind in ("text", "textarea") and draw(st.booleans()):
        field["max_length"] = draw(st.integers(min_value=1, max_value=300))
    return field


@st.composite
def definitions(draw) -> list[dict]:
    names = draw(st.lists(NAMES, max_size=8, unique=True))
    return [draw(fields(name)) for name in names]


def _number(draw, field: dict):
    low = field.get("min", -1e12)
    high = field.get("max", 1e12)
    if draw(st.booleans()) and math.ceil(low) <= math.floor(high):
        value = draw(st.integers(min_value=math.ceil(low), max_value=math.floor(high)))
        return value, value
    value = draw(st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False))
    return value, int(value) if value.is_integer() else value


@st.composite
def answered(draw, definition: list[dict]) -> tuple[dict, dict]:
    """Answers to ``definition`` as a client sends them, and the answers clean_answers must
    return for them."""
    answers: dict = {}
    expected: dict = {}
    for field in definition:
        kind, name, required = field["type"], field["name"], field.get("required", False)
        if not required and kind != "boolean" and draw(st.booleans()):
            expected[name] = {
                "boolean": False,
                "multichoice": [],
                "number": None,
                "date": None,
            }.get(kind, "")
            if draw(st.booleans()):
                answers[name] = draw(st.sampled_from([None, ""]))
            continue
        if kind in ("text", "textarea"):
            limit = field.get("max_length", 255 if kind == "text" else 10_000)
            text = draw(st.text(max_size=min(limit, 80)).filter(lambda s: "\x00" not in s))
            if required:
                text = text.strip() or "x"
            answers[name], expected[name] = text, text.strip()
        elif kind == "number":
            answers[name], expected[name] = _number(draw, field)
        elif kind == "date":
            day = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31)))
            answers[name], expected[name] = (
                draw(st.sampled_from([day, day.isoformat()])),
                (day.isoformat()),
            )
        elif kind == "boolean":
            value = True if required else draw(st.booleans())
            answers[name], expected[name] = value, value
        elif kind == "choice":
            value = draw(st.sampled_from(field["choices"]))
            answers[name], expected[name] = value, value
        elif kind == "multichoice":
            picked = draw(st.lists(st.sampled_from(field["choices"]), min_size=1, unique=True))
            answers[name] = picked
            expected[name] = [c for c in field["choices"] if c in picked]
        else:  # email
            value = draw(EMAILS)
            answers[name], expected[name] = value, value
    return answers, expected


def _post_data(definition: list[dict], answers: dict) -> dict:
    """The same answers as a browser posts them to a page form."""
    data: dict = {}
    for field in definition:
        value = answers.get(field["name"])
        if value is None or value is False:
            continue
        if value is True:
            data[field["name"]] = "on"
        elif isinstance(value, list):
            data[field["name"]] = value
        elif isinstance(value, float):
            data[field["name"]] = repr(value)
        else:
            data[field["name"]] = str(value)
    return data


# --- Properties ----------------------------------------------------------------------------------


@given(definitions())
def test_every_generated_definition_is_valid(definition):
    validate_definition(definition)
    assert definition_errors(definition) == []
    form_class = build_form(definition)
    assert list(form_class.base_fields) == [f["name"] for f in definition]


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_answers_round_trip_through_clean_answers(data):
    definition = data.draw(definitions())
    answers, expected = data.draw(answered(definition))
    cleaned = clean_answers(definition, answers)
    assert cleaned == expected
    assert list(cleaned) == [f["name"] for f in definition]
    # Normalised answers are a fixed point: checking them again changes nothing.
    assert clean_answers(definition, cleaned) == cleaned


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_page_form_accepts_the_same_answers_as_the_api(data):
    definition = data.draw(definitions())
    answers, expected = data.draw(answered(definition))
    form = build_form(definition)(data=_post_data(definition, answers))
    assert form.is_valid(), form.errors.as_data()
    assert form.answers == expected


@given(definitions(), st.dictionaries(st.text(min_size=1, max_size=10), st.integers(), max_size=3))
def test_unknown_answer_keys_are_refused_by_name(definition, extra):
    names = {f["name"] for f in definition}
    extra = {k: v for k, v in extra.items() if k not in names}
    if not extra:
        return
    with pytest.raises(ValidationError) as caught:
        clean_answers(definition, extra)
    for key in extra:
        assert caught.value.message_dict[key] == ["This form has no such field."]


# --- Bad definitions -------------------------------------------------------------------------


def _field(**overrides):
    return {"name": "cost_centre", "label": "Cost centre", "type": "text", **overrides}


BAD_DEFINITIONS = [
    ({"name": "x"}, "must be a list of fields"),
    ("[]", "must be a list of fields"),
    (
        [_field()] * 2,
        "Field 2 (\"cost_centre\"): the name 'cost_centre' is already used by field 1.",
    ),
    ([_field(type="colour")], "Field 1 (\"cost_centre\"): the type 'colour' is unknown"),
    ([_field(type=None)], "the type None is unknown"),
    ([{"label": "L", "type": "text"}], "Field 1: the name is missing."),
    ([_field(name="Cost Centre")], "the name 'Cost Centre' is not valid"),
    ([_field(name="1st")], "the name '1st' is not valid"),
    ([_field(name="_hidden")], "the name '_hidden' is not valid"),
    ([_field(name=7)], "the name 7 is not valid"),
    ([_field(name="a" * 64)], "is not valid: use 1 to 63 lowercase letters"),
    ([_field(label="")], "the label must be a non-empty text"),
    ([{"name": "a", "type": "text"}], 'Field 1 ("a"): the label is missing.'),
    ([{"name": "a", "label": "A"}], 'Field 1 ("a"): the type is missing.'),
    ([_field(colour="red")], "unknown key 'colour' (allowed: " + ", ".join(FIELD_KEYS) + ")"),
    ([_field(colour="red", size=3)], "unknown keys 'colour', 'size'"),
    ([_field(type="choice")], "a one of a list field needs 'choices'"),
    ([_field(type="multichoice", choices=[])], "'choices' must be a non-empty list of texts"),
    ([_field(type="choice", choices="a,b")], "'choices' must be a non-empty list of texts"),
    ([_field(type="choice", choices=["a", ""])], "every choice must be a non-empty text"),
    ([_field(type="choice", choices=["a", 2])], "every choice must be a non-empty text"),
    ([_field(type="choice", choices=["a", "b", "a"])], "duplicate choices: 'a'"),
    ([_field(choices=["a"])], "'choices' is only for choice and multichoice fields, not text"),
    ([_field(type="email", min=1)], "'min' is only for number fields, not email"),
    ([_field(type="number", max="10")], "'max' must be a number"),
    ([_field(type="number", min=True)], "'min' must be a number"),
    ([_field(type="number", min=5, max=1)], "'min' is greater than 'max'"),
    ([_field(type="number", max_length=3)], "'max_length' is only for text and textarea fields"),
    ([_field(max_length=0)], "'max_length' must be a whole number from 1 to 10000"),
    ([_field(max_length=2.5)], "'max_length' must be a whole number"),
    ([_field(required="yes")], "'required' must be true or false"),
    ([_field(help=["a"])], "'help' must be a text"),
    ([_field(label="Cost\x00centre")], "NUL character"),
    (["cost_centre"], "Field 1: must be an object with a name, a label and a type."),
    ([_field(name=f"f{i}") for i in range(MAX_FIELDS + 1)], f"at most {MAX_FIELDS}"),
]


@pytest.mark.parametrize(
    ("definition", "message"), BAD_DEFINITIONS, ids=[m for _, m in BAD_DEFINITIONS]
)
def test_bad_definition_is_refused_with_a_message_naming_the_entry(definition, message):
    with pytest.raises(ValidationError) as caught:
        validate_definition(definition)
    assert any(message in m for m in caught.value.messages), caught.value.messages
    with pytest.raises(ValidationError):
        build_form(definition)


def test_every_problem_is_reported_at_once_with_its_position():
    definition = [
        _field(),
        _field(name="ok", label="OK", type="number"),
        _field(name="Bad"),
        _field(name="ok", type="choice"),
    ]
    messages = definition_errors(definition)
    assert messages == [
        "Field 3 (\"Bad\"): the name 'Bad' is not valid: use 1 to 63 lowercase letters, digits "
        "or '_', starting with a letter.",
        "Field 4 (\"ok\"): the name 'ok' is already used by field 2.",
        "Field 4 (\"ok\"): a one of a list field needs 'choices', a list of texts.",
    ]


def test_an_empty_definition_is_a_form_without_questions():
    validate_definition([])
    assert clean_answers([], {}) == {}
    assert build_form([])(data={}).is_valid()


# --- Bad answers ----------------------------------------------------------------------------

FORM = [
    {"name": "cost_centre", "label": "Cost centre", "type": "text", "required": True,
     "max_length": 6},
    {"name": "notes", "label": "Notes", "type": "textarea"},
    {"name": "quantity", "label": "How many", "type": "number", "min": 1, "max": 10},
    {"name": "needed_by", "label": "Needed by", "type": "date"},
    {"name": "model", "label": "Model", "type": "choice", "choices": ["13 inch", "15 inch"]},
    {"name": "extras", "label": "Extras", "type": "multichoice", "choices": ["Dock", "Bag"]},
    {"name": "notify", "label": "Notify", "type": "email"},
    {"name": "agree", "label": "I accept", "type": "boolean", "required": True},
]  # fmt: skip
GOOD = {"cost_centre": "CC-1", "agree": True}


def test_good_answers_are_normalised():
    cleaned = clean_answers(
        FORM,
        {
            "cost_centre": "  CC-1 ",
            "quantity": "4",
            "needed_by": dt.date(2026, 3, 1),
            "model": "15 inch",
            "extras": ["Bag", "Dock"],
            "notify": " ana@example.test ",
            "agree": True,
        },
    )
    assert cleaned == {
        "cost_centre": "CC-1",
        "notes": "",
        "quantity": 4,
        "needed_by": "2026-03-01",
        "model": "15 inch",
        "extras": ["Dock", "Bag"],
        "notify": "ana@example.test",
        "agree": True,
    }


def test_numbers_keep_their_fractions():
    assert clean_answers(FORM, {**GOOD, "quantity": 2.5})["quantity"] == 2.5
    assert clean_answers(FORM, {**GOOD, "quantity": Decimal("3.00")})["quantity"] == 3


BAD_ANSWERS = [
    ({"agree": True}, "cost_centre", "This field is required."),
    ({"cost_centre": "   ", "agree": True}, "cost_centre", "This field is required."),
    ({**GOOD, "cost_centre": "CC-1234"}, "cost_centre", "Enter at most 6 characters (this has 7)."),
    ({**GOOD, "cost_centre": 42}, "cost_centre", "Enter a text."),
    ({**GOOD, "notes": "a\x00b"}, "notes", "Remove the NUL character"),
    ({**GOOD, "quantity": 0}, "quantity", "Enter a number of at least 1."),
    ({**GOOD, "quantity": 10.5}, "quantity", "Enter a number of at most 10."),
    ({**GOOD, "quantity": "many"}, "quantity", "Enter a number."),
    ({**GOOD, "quantity": True}, "quantity", "Enter a number."),
    ({**GOOD, "quantity": "NaN"}, "quantity", "Enter a number."),
    ({**GOOD, "quantity": "1e999999999"}, "quantity", "Enter a number between"),
    ({**GOOD, "quantity": [1]}, "quantity", "Enter a number."),
    ({**GOOD, "needed_by": "01/03/2026"}, "needed_by", "Enter a date as YYYY-MM-DD."),
    ({**GOOD, "needed_by": "2026-02-30"}, "needed_by", "is not a date of the calendar"),
    ({**GOOD, "needed_by": "2026-03-01T10:00"}, "needed_by", "Enter a date as YYYY-MM-DD."),
    ({**GOOD, "needed_by": 20260301}, "needed_by", "Enter a date as YYYY-MM-DD."),
    ({**GOOD, "model": "17 inch"}, "model", "'17 inch' is not one of the choices."),
    ({**GOOD, "model": ["13 inch"]}, "model", "is not one of the choices."),
    ({**GOOD, "extras": ["Dock", "Cape"]}, "extras", "Not among the choices: 'Cape'."),
    ({**GOOD, "extras": "Dock"}, "extras", "Give a list of choices."),
    ({**GOOD, "notify": "not-an-address"}, "notify", "Enter a valid email address."),
    ({**GOOD, "notify": 5}, "notify", "Enter an e-mail address."),
    ({**GOOD, "agree": False}, "agree", "This must be answered yes."),
    ({**GOOD, "agree": "yes"}, "agree", "Answer true or false."),
    ({"cost_centre": "CC-1"}, "agree", "This must be answered yes."),
    ({**GOOD, "colour": "red"}, "colour", "This form has no such field."),
]


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    BAD_ANSWERS,
    ids=[f"{f}-{i}" for i, (_, f, _) in enumerate(BAD_ANSWERS)],
)
def test_bad_answer_is_refused_under_its_field(answers, field, message):
    with pytest.raises(ValidationError) as caught:
        clean_answers(FORM, answers)
    errors = caught.value.message_dict
    assert list(errors) == [field], errors
    assert any(message in m for m in errors[field]), errors


def test_every_bad_answer_is_reported_at_once():
    with pytest.raises(ValidationError) as caught:
        clean_answers(FORM, {"quantity": 99, "model": "x", "surprise": 1})
    assert set(caught.value.message_dict) == {
        "cost_centre",
        "quantity",
        "model",
        "agree",
        "surprise",
    }


@pytest.mark.parametrize("answers", [None, [], "cost_centre=CC-1", 3])
def test_answers_that_are_not_an_object_are_refused(answers):
    with pytest.raises(ValidationError) as caught:
        clean_answers(FORM, answers)
    assert caught.value.message_dict == {
        "__all__": ["The answers must be an object keyed by field name."]
    }


# --- Django forms ---------------------------------------------------------------------------


def test_built_form_has_one_input_per_field_with_labels_help_and_widgets():
    form = build_form(FORM)()
    assert list(form.fields) == [f["name"] for f in FORM]
    assert form.fields["cost_centre"].required and form.fields["cost_centre"].max_length == 6
    assert 'min="1"' in str(form["quantity"]) and 'max="10"' in str(form["quantity"])
    assert form.fields["model"].choices == [
        ("", "—"),
        ("13 inch", "13 inch"),
        ("15 inch", "15 inch"),
    ]
    html = form.as_div()
    assert 'type="date"' in html and 'type="checkbox"' in html and "<textarea" in html
    assert "Cost centre" in html


def test_built_form_refuses_what_clean_answers_refuses():
    form = build_form(FORM)(data={"cost_centre": "CC-1", "quantity": "11", "model": "x"})
    assert not form.is_valid()
    assert set(form.errors) == {"quantity", "model", "agree"}
    assert form.answers is None


def test_disabled_form_is_a_preview():
    form = build_form(FORM, disabled=True)()
    assert all(field.disabled for field in form.fields.values())
    assert "disabled" in form.as_div()


def test_field_names_that_shadow_form_attributes_still_work():
    definition = [
        {"name": name, "label": name.title(), "type": "text"}
        for name in ("clean", "answers", "fields", "data", "errors", "media", "definition")
    ]
    form = build_form(definition)(data={"clean": "a", "answers": "b", "definition": "c"})
    assert form.is_valid(), form.errors
    assert form.answers == {
        "clean": "a", "answers": "b", "fields": "", "data": "", "errors": "", "media": "",
        "definition": "c",
    }  # fmt: skip
