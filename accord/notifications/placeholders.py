"""The placeholder syntax of mail templates: ``{{ name }}`` and nothing else.

Administrators write the texts customers receive, so those texts must never reach Python
objects or Django's template engine (which would give them filters, tags, attribute lookups
and the chance to print what a context holds). A placeholder is a name in double braces;
rendering replaces each known name with a string, in one pass, so a value that itself contains
``{{ … }}`` (a customer's title, a reply) is printed as it is and never expanded.

Pure Python: no Django import, so the rules are tested without a database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

NAME = r"[a-z][a-z0-9_]*"
#: A well-formed placeholder: ``{{ name }}`` with optional spaces inside the braces.
PLACEHOLDER = re.compile(r"\{\{\s*(" + NAME + r")\s*\}\}")
#: Anything that looks like an attempt at one, well-formed or not (``{{ a.b }}``, ``{{x|y}}``).
OPENING = re.compile(r"\{\{(.*?)(\}\}|$)", re.DOTALL)


class PlaceholderError(ValueError):
    """A text uses a placeholder the event does not offer, or braces that are not one."""


@dataclass(frozen=True)
class Localized:
    """A value with one text per language (a status name, a "not set"), picked for the
    recipient's language, or English when their language has none."""

    texts: Mapping[str, str]

    def get(self, language: str) -> str:
        return self.texts.get(language) or self.texts.get("en") or ""


def placeholders_in(text: str) -> list[str]:
    """The names of the well-formed placeholders of ``text``, in order of appearance."""
    return [m.group(1) for m in PLACEHOLDER.finditer(text)]


def check(text: str, allowed: Iterable[str]) -> None:
    """Raise :class:`PlaceholderError` naming the first placeholder of ``text`` that is not
    one of ``allowed``, or the first pair of braces that is not a placeholder at all."""
    allowed = set(allowed)
    if "{%" in text:
        raise PlaceholderError(
            "Template tags ({% … %}) are not supported; use placeholders such as {{ title }}."
        )
    for match in OPENING.finditer(text):
        inner = match.group(1).strip()
        if not match.group(2):
            raise PlaceholderError(
                f"'{{{{{match.group(1)[:30]}' is not closed; write placeholders as {{{{ name }}}}."
            )
        if not re.fullmatch(NAME, inner):
            raise PlaceholderError(
                f"'{{{{ {inner[:40]} }}}}' is not a placeholder; write a plain name such as "
                "{{ reference }} (no dots, filters or tags)."
            )
        if inner not in allowed:
            names = ", ".join(f"{{{{ {n} }}}}" for n in sorted(allowed))
            raise PlaceholderError(
                f"Unknown placeholder {{{{ {inner} }}}}; this mail may use {names}."
            )


def render(text: str, values: Mapping[str, str]) -> str:
    """``text`` with every placeholder replaced by its value ("" when none was given)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)
