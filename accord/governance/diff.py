"""A readable line diff between two versions of a document's text.

``line_diff`` gives rows (kind, old line number, new line number, text) that a page renders as
a table and the API returns as data; ``unified_diff`` the plain-text view. Every text is
escaped where it becomes HTML (templates autoescape; ``diff_table_html`` escapes itself).
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from typing import Any

from django.utils.html import escape

#: Unchanged lines shown around each change.
CONTEXT = 3


@dataclass(frozen=True)
class DiffLine:
    """One line of a diff: ``kind`` is ``same``, ``added``, ``removed`` or ``gap`` (lines
    left out between two changes)."""

    kind: str
    old: int | None
    new: int | None
    text: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def line_diff(old: str, new: str, context: int = CONTEXT) -> list[DiffLine]:
    """The changed lines of ``new`` against ``old`` with ``context`` unchanged lines around
    each change; empty when the texts are the same."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    rows: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for group_index, group in enumerate(matcher.get_grouped_opcodes(context)):
        if group_index:
            rows.append(DiffLine("gap", None, None, "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [
                    DiffLine("same", i + 1, j + 1, a[i])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
                continue
            if tag in ("replace", "delete"):
                rows += [DiffLine("removed", i + 1, None, a[i]) for i in range(i1, i2)]
            if tag in ("replace", "insert"):
                rows += [DiffLine("added", None, j + 1, b[j]) for j in range(j1, j2)]
    return rows


def unified_diff(old: str, new: str, old_label: str, new_label: str) -> str:
    """The plain-text unified diff (for the command line and downloads)."""
    return "".join(
        difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            (new or "").splitlines(keepends=True),
            fromfile=old_label,
            tofile=new_label,
        )
    )


_MARK = {"same": " ", "added": "+", "removed": "-", "gap": ""}


def diff_table_html(rows: list[DiffLine]) -> str:
    """The rows as an HTML table; every text escaped."""
    if not rows:
        return '<p class="empty">The two versions have the same text.</p>'
    out = ['<table class="table diff" data-testid="diff"><tbody>']
    for row in rows:
        out.append(
            f'<tr class="diff-{row.kind}"><td class="num">{row.old or ""}</td>'
            f'<td class="num">{row.new or ""}</td><td class="mark">{_MARK[row.kind]}</td>'
            f"<td><code>{escape(row.text)}</code></td></tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)
