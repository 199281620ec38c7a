"""The request-form definition language of catalogue items.

A definition is a list of fields, each a JSON object::

    [
      {"name": "cost_centre", "label": "Cost centre", "type": "text", "required": true,
       "max_length": 20},
      {"name": "laptop", "label": "Model", "type": "choice", "choices": ["13 inch", "15 inch"]},
      {"name": "quantity", "label": "How many", "type": "number", "min": 1, "max": 10},
      {"name": "needed_by", "label": "Needed by", "type": "date", "help": "First working day"}
    ]

Three pure functions, reused by every door that shows or checks a request form:

- :func:`validate_definition` refuses a bad definition, saying which entry is wrong and why;
- :func:`clean_answers` checks and normalises the answers to a definition (JSON in, JSON out),
  with errors keyed by field name;
- :func:`build_form` makes a Django form class for pages; it checks its answers through
  :func:`clean_answers`, so a page and the API accept exactly the same answers.

Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email

from accord.portfolio.choices import FormFieldType

#: Keys a field entry may carry.
FIELD_KEYS: tuple[str, ...] = (
    "name",
    "label",
    "type",
    "required",
    "choices",
    "help",
    "min",
    "max",
    "max_length",
)
CHOICE_TYPES = frozenset({FormFieldType.CHOICE, FormFieldType.MULTICHOICE})
TEXT_TYPES = frozenset({FormFieldType.TEXT, FormFieldType.TEXTAREA})
#: Longest answer to a text field unless the definition says less.
DEFAULT_MAX_LENGTH = {FormFieldType.TEXT: 255, FormFieldType.TEXTAREA: 10_000}
MAX_FIELDS = 100
MAX_CHOICES = 200
MAX_LABEL = 200
MAX_HELP = 1_000
MAX_CHOICE_LENGTH = 200
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
NAME_RULE = "use 1 to 63 lowercase letters, digits or '_', starting with a letter"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Answers to number fields stay within +/- this bound (15 significant digits stay exact).
NUMBER_LIMIT = 10**15

REQUIRED_MESSAGE = "This field is required."


# --- Definitions -------------------------------------------------------------------------------


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _entry_errors(entry: Any, position: int, seen: dict[str, int]) -> list[str]:
    """What is wrong with one field entry (``position`` counts from 1)."""
    if not isinstance(entry, dict):
        return [f"Field {position}: must be an object with a name, a label and a type."]
    name = entry.get("name")
    where = (
        f'Field {position} ("{name}")' if isinstance(name, str) and name else f"Field {position}"
    )
    problems: list[str] = []

    if _has_nul(entry):
        problems.append("a text contains a NUL character (\\u0000), which cannot be stored")

    unknown = sorted(str(k) for k in entry if k not in FIELD_KEYS)
    if unknown:
        problems.append(
            f"unknown key{'s' if len(unknown) > 1 else ''} "
            + ", ".join(f"'{k}'" for k in unknown)
            + f" (allowed: {', '.join(FIELD_KEYS)})"
        )

    if "name" not in entry:
        problems.append("the name is missing")
    elif not isinstance(name, str) or not NAME_PATTERN.match(name):
        problems.append(f"the name {name!r} is not valid: {NAME_RULE}")
    elif name in seen:
        problems.append(f"the name '{name}' is already used by field {seen[name]}")
    else:
        seen[name] = position

    label = entry.get("label")
    if "label" not in entry:
        problems.append("the label is missing")
    elif not isinstance(label, str) or not label.strip():
        problems.append("the label must be a non-empty text")
    elif len(label) > MAX_LABEL:
        problems.append(f"the label is longer than {MAX_LABEL} characters")

    kind = entry.get("type")
    known_type = isinstance(kind, str) and kind in FormFieldType.values
    if "type" not in entry:
        problems.append("the type is missing")
    elif not known_type:
        problems.append(f"the type {kind!r} is unknown (one of: {', '.join(FormFieldType.values)})")

    if "required" in entry and not isinstance(entry["required"], bool):
        problems.append("'required' must be true or false")

    if "help" in entry:
        help_text = entry["help"]
        if not isinstance(help_text, str):
            problems.append("'help' must be a text")
        elif len(help_text) > MAX_HELP:
            problems.append(f"'help' is longer than {MAX_HELP} characters")

    if known_type:
        problems += _type_specific_errors(entry, kind)
    return [f"{where}: {problem}." for problem in problems]


def _type_specific_errors(entry: dict[str, Any], kind: str) -> list[str]:
    problems: list[str] = []
    label = FormFieldType(kind).label.lower()
    if kind in CHOICE_TYPES:
        choices = entry.get("choices")
        if "choices" not in entry:
            problems.append(f"a {label} field needs 'choices', a list of texts")
        elif not isinstance(choices, list) or not choices:
            problems.append("'choices' must be a non-empty list of texts")
        elif len(choices) > MAX_CHOICES:
            problems.append(f"'choices' has more than {MAX_CHOICES} entries")
        else:
            texts = [c for c in choices if isinstance(c, str) and c.strip()]
            if len(texts) != len(choices):
                problems.append("every choice must be a non-empty text")
            elif any(len(c) > MAX_CHOICE_LENGTH for c in texts):
                problems.append(f"a choice is longer than {MAX_CHOICE_LENGTH} characters")
            elif len(set(texts)) != len(texts):
                duplicates = sorted({c for c in texts if texts.count(c) > 1})
                problems.append("duplicate choices: " + ", ".join(f"'{c}'" for c in duplicates))
    elif "choices" in entry:
        problems.append(f"'choices' is only for choice and multichoice fields, not {kind}")

    for bound in ("min", "max"):
        if bound not in entry:
            continue
        if kind != FormFieldType.NUMBER:
            problems.append(f"'{bound}' is only for number fields, not {kind}")
        elif not _is_number(entry[bound]):
            problems.append(f"'{bound}' must be a number")
    if (
        kind == FormFieldType.NUMBER
        and _is_number(entry.get("min"))
        and _is_number(entry.get("max"))
        and entry["min"] > entry["max"]
    ):
        problems.append("'min' is greater than 'max'")

    if "max_length" in entry:
        max_length = entry["max_length"]
        if kind not in TEXT_TYPES:
            problems.append(f"'max_length' is only for text and textarea fields, not {kind}")
        elif (
            not isinstance(max_length, int)
            or isinstance(max_length, bool)
            or not 1 <= max_length <= DEFAULT_MAX_LENGTH[FormFieldType.TEXTAREA]
        ):
            limit = DEFAULT_MAX_LENGTH[FormFieldType.TEXTAREA]
            problems.append(f"'max_length' must be a whole number from 1 to {limit}")
    return problems


def definition_errors(definition: Any) -> list[str]:
    """Every problem of a definition, one message per problem (empty when it is valid)."""
    if not isinstance(definition, list):
        return ["The form definition must be a list of fields (a JSON array)."]
    if len(definition) > MAX_FIELDS:
        return [f"The form definition has {len(definition)} fields; at most {MAX_FIELDS}."]
    seen: dict[str, int] = {}
    errors: list[str] = []
    for position, entry in enumerate(definition, start=1):
        errors += _entry_errors(entry, position, seen)
    return errors


def validate_definition(definition: Any) -> None:
    """Raise ``ValidationError`` listing every wrong field entry of ``definition``."""
    errors = definition_errors(definition)
    if errors:
        raise ValidationError(errors, code="invalid_definition")


# --- Answers -----------------------------------------------------------------------------------


def empty_value(kind: str) -> Any:
    """The normalised answer of a field left empty."""
    if kind == FormFieldType.BOOLEAN:
        return False
    if kind == FormFieldType.MULTICHOICE:
        return []
    if kind in (FormFieldType.NUMBER, FormFieldType.DATE):
        return None
    return ""


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple) and not value)


def _clean_number(field: Mapping[str, Any], value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValidationError("Enter a number.")
    if isinstance(value, str):
        try:
            value = decimal.Decimal(value.strip())
        except decimal.InvalidOperation:
            raise ValidationError("Enter a number.") from None
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ValidationError("Enter a number.")
        if value.copy_abs() > NUMBER_LIMIT:
            raise ValidationError(f"Enter a number between -{NUMBER_LIMIT} and {NUMBER_LIMIT}.")
        number: int | float = int(value) if value == value.to_integral_value() else float(value)
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and math.isfinite(value):
        number = int(value) if value.is_integer() and abs(value) < 2**53 else value
    else:
        raise ValidationError("Enter a number.")
    if abs(number) > NUMBER_LIMIT:
        raise ValidationError(f"Enter a number between -{NUMBER_LIMIT} and {NUMBER_LIMIT}.")
    if "min" in field and number < field["min"]:
        raise ValidationError(f"Enter a number of at least {field['min']}.")
    if "max" in field and number > field["max"]:
        raise ValidationError(f"Enter a number of at most {field['max']}.")
    return number


def _clean_date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        raise ValidationError("Enter a date as YYYY-MM-DD, without a time.")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            raise ValidationError(f"'{value.strip()}' is not a date of the calendar.") from None
    raise ValidationError("Enter a date as YYYY-MM-DD.")


def _clean_text(field: Mapping[str, Any], value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError("Enter a text.")
    if "\x00" in value:
        raise ValidationError("Remove the NUL character (\\u0000) from the text.")
    value = value.strip()
    limit = field.get("max_length", DEFAULT_MAX_LENGTH[field["type"]])
    if len(value) > limit:
        raise ValidationError(f"Enter at most {limit} characters (this has {len(value)}).")
    return value


def _clean_one(field: Mapping[str, Any], value: Any) -> Any:
    kind = field["type"]
    required = field.get("required", False)
    if kind == FormFieldType.BOOLEAN:
        if value is None:
            value = False
        if not isinstance(value, bool):
            raise ValidationError("Answer true or false.")
        if required and not value:
            raise ValidationError("This must be answered yes.")
        return value
    if isinstance(value, str) and kind not in CHOICE_TYPES:
        value = value.strip()  # as Django's form fields do; choices are compared as given
    if _is_empty(value):
        if required:
            raise ValidationError(REQUIRED_MESSAGE)
        return empty_value(kind)
    if kind in TEXT_TYPES:
        return _clean_text(field, value)
    if kind == FormFieldType.NUMBER:
        return _clean_number(field, value)
    if kind == FormFieldType.DATE:
        return _clean_date(value)
    if kind == FormFieldType.EMAIL:
        if not isinstance(value, str):
            raise ValidationError("Enter an e-mail address.")
        validate_email(value)
        return value
    if kind == FormFieldType.CHOICE:
        if not isinstance(value, str) or value not in field["choices"]:
            raise ValidationError(f"{value!r} is not one of the choices.")
        return value
    # multichoice
    if not isinstance(value, list | tuple):
        raise ValidationError("Give a list of choices.")
    wrong = [v for v in value if not isinstance(v, str) or v not in field["choices"]]
    if wrong:
        raise ValidationError(
            "Not among the choices: " + ", ".join(repr(v) for v in wrong[:5]) + "."
        )
    chosen = set(value)
    return [c for c in field["choices"] if c in chosen]


def clean_answers(definition: list[dict[str, Any]], answers: Any) -> dict[str, Any]:
    """Check ``answers`` against a valid ``definition``; return them normalised.

    The result has one entry per field of the definition, in its order: texts stripped,
    numbers as int or float, dates as ``YYYY-MM-DD``, multichoice answers in the order of the
    choices, empty answers as ``""``, ``None``, ``False`` or ``[]`` by type. Errors are raised
    together as one ``ValidationError`` keyed by field name (unknown answer keys by their own
    name, an answer set that is not an object under ``__all__``).
    """
    if not isinstance(answers, Mapping):
        raise ValidationError(
            {NON_FIELD_ERRORS: ["The answers must be an object keyed by field name."]}
        )
    names = {field["name"] for field in definition}
    errors: dict[str, list[str]] = {}
    for key in answers:
        if key not in names:
            errors[str(key)] = ["This form has no such field."]
    cleaned: dict[str, Any] = {}
    for field in definition:
        try:
            cleaned[field["name"]] = _clean_one(field, answers.get(field["name"]))
        except ValidationError as exc:
            errors[field["name"]] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


# --- Django forms ------------------------------------------------------------------------------


class AnswersForm(forms.Form):
    """Base of the forms built by :func:`build_form`; ``answers`` holds the cleaned answers."""

    # Underscored: a field name never starts with "_", so no field hides these.
    _definition: list[dict[str, Any]] = []
    answers: dict[str, Any] | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The fields the form itself accepted are checked by clean_answers too, so the page
        # reports every problem the API would, not only the first layer.
        accepted = [f for f in self._definition if f["name"] not in self.errors]
        try:
            answers = clean_answers(accepted, {f["name"]: data.get(f["name"]) for f in accepted})
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)
        else:
            if not self.errors:
                self.answers = answers
        return data


def _form_field(field: Mapping[str, Any], disabled: bool) -> forms.Field:
    kind = field["type"]
    common: dict[str, Any] = {
        "label": field["label"],
        "required": field.get("required", False),
        "help_text": field.get("help", ""),
        "disabled": disabled,
    }
    if kind in TEXT_TYPES:
        widget = forms.Textarea(attrs={"rows": 4}) if kind == FormFieldType.TEXTAREA else None
        return forms.CharField(
            max_length=field.get("max_length", DEFAULT_MAX_LENGTH[kind]), widget=widget, **common
        )
    if kind == FormFieldType.NUMBER:
        # Bounds are checked by clean_answers (on the float, as for the API); the browser gets
        # them as a hint only.
        bounds = {k: field[k] for k in ("min", "max") if k in field}
        widget = forms.NumberInput(attrs={**bounds, "step": "any"})
        return forms.DecimalField(widget=widget, **common)
    if kind == FormFieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == FormFieldType.BOOLEAN:
        return forms.BooleanField(**common)
    if kind == FormFieldType.EMAIL:
        return forms.EmailField(**common)
    choices = [(c, c) for c in field["choices"]]
    if kind == FormFieldType.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *choices], **common)
    return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)


def build_form(definition: list[dict[str, Any]], *, disabled: bool = False) -> type[AnswersForm]:
    """A Django form class for ``definition`` (validated first), one form field per entry.

    With ``disabled`` the inputs are shown but not editable (a preview).
    """
    validate_definition(definition)
    attrs: dict[str, Any] = {"_definition": list(definition)}
    for field in definition:
        attrs[field["name"]] = _form_field(field, disabled)
    return type("RequestForm", (AnswersForm,), attrs)
