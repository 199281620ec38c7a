"""Generating audit packs: one ZIP with what a certification auditor asks for first.

A pack is generated on request by the SMS owner or top management (``audits.manage``) and kept
exactly as it was handed over: the ZIP, its size and SHA-256, and the list of its files. Inside
the ZIP, ``manifest.json`` names every file with its size, SHA-256 and what it is, and what an
auditor would expect but the records cannot give yet ("missing", with the reason);
``SHA256SUMS`` lets anyone check the files with ``sha256sum -c SHA256SUMS``.

The files are built before the transaction that stores the pack: rendering the PDFs takes
seconds, and a write transaction held that long would block every other writer (SQLite has one
write lock for the whole database). Only the reference, the row and the retention clean-up run
in the transaction. The last :data:`KEEP` packs are kept; older ones are deleted, each deletion
in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import io
import json
import zipfile
from typing import Any

from django.db import transaction

from accord.core import records
from accord.core.pdf import provider_organisation
from accord.core.permissions import require
from accord.core.services import next_reference
from accord.governance.models import AuditPack
from accord.governance.pack_contents import Contents, PackFile, build_contents

#: How many packs are kept; generating one more deletes the oldest.
KEEP = 20
#: The fields of a pack its audit events record (the ZIP itself is summarised by its hash).
PACK_FIELDS = ("reference", "generated_at", "generated_by", "filename", "size", "sha256")
MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"


def accord_version() -> str:
    """The installed Accord's version, as the manifest records it."""
    try:
        return importlib.metadata.version("accord")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a source checkout
        return "unknown"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def pack_filename(now: dt.datetime) -> str:
    """``accord-audit-pack-<YYYY-MM-DD>.zip``, dated in UTC like the manifest."""
    return f"accord-audit-pack-{now.astimezone(dt.UTC):%Y-%m-%d}.zip"


def file_entries(files: list[PackFile]) -> list[dict[str, Any]]:
    """The manifest's list of files: path, size in bytes, SHA-256 and description."""
    return [
        {
            "path": f.path,
            "bytes": len(f.content),
            "sha256": sha256(f.content),
            "description": f.description,
        }
        for f in files
    ]


def manifest_data(
    *, reference: str, contents: Contents, actor: Any, now: dt.datetime, organisation: str
) -> dict[str, Any]:
    """What ``manifest.json`` says about the pack and each of its files."""
    return {
        "reference": reference,
        "generated_at": now.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "generated_by": (
            {"name": str(actor), "username": actor.get_username()}
            if actor is not None
            else {"name": "Accord (system)", "username": ""}
        ),
        "accord_version": accord_version(),
        "organisation": organisation,
        "files": file_entries(contents.files),
        "missing": [{"what": m.what, "reason": m.reason} for m in contents.missing],
    }


def checksums(files: list[tuple[str, bytes]]) -> bytes:
    """``SHA256SUMS`` in the format ``sha256sum -c`` reads: ``<hex>  <path>`` per line."""
    return "".join(f"{sha256(content)}  {path}\n" for path, content in files).encode("ascii")


def zip_bytes(files: list[tuple[str, bytes]], now: dt.datetime) -> bytes:
    """A deflated ZIP of ``files``, each dated ``now`` (UTC), so the archive's bytes depend
    only on its files and the moment of generation."""
    stamp = now.astimezone(dt.UTC).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in files:
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def generate_pack(*, actor: Any, now: dt.datetime) -> AuditPack:
    """Build, store and return a new audit pack; keep the newest :data:`KEEP`.

    Only holders of ``audits.manage`` (the SMS owner and top management) or the system
    (``actor=None``) generate packs; the auditor reads them and generates none.
    """
    require(actor, "audits.manage")
    provider = provider_organisation()
    contents = build_contents(now=now, provider=provider)
    # The reference is issued first so that the manifest inside the ZIP can name it; a build
    # that fails after this point leaves a gap in the numbering, never a duplicate.
    reference = next_reference("PACK")
    manifest = manifest_data(
        reference=reference,
        contents=contents,
        actor=actor,
        now=now,
        organisation=provider.name if provider else "",
    )
    files = [(f.path, f.content) for f in contents.files]
    files.append((MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")))
    files.append((CHECKSUMS, checksums(files)))
    archive = zip_bytes(files, now)
    pack = AuditPack(
        reference=reference,
        generated_at=now,
        generated_by=actor,
        filename=pack_filename(now),
        content=archive,
        size=len(archive),
        sha256=sha256(archive),
        manifest=manifest["files"],
    )
    with transaction.atomic():
        pack = records.create_record(
            actor=actor, instance=pack, fields=PACK_FIELDS, references_checked=True
        )
        prune(actor=actor, keep=KEEP)
    created: AuditPack = pack
    return created


def prune(*, actor: Any, keep: int = KEEP) -> int:
    """Delete the packs older than the newest ``keep``, each deletion audited; return how
    many went. Called by :func:`generate_pack` inside its transaction."""
    old = list(AuditPack.objects.defer("content").order_by("-generated_at", "-pk")[keep:])
    for pack in old:
        records.delete_record(actor=actor, instance=pack)
    return len(old)
