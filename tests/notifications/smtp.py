"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, on a free port, recording what it
accepted, with Django's SMTP backend pointed at it.

Tests assert on what the server received, not on Django's outbox, so every header and every
retry is seen as a mail system would see it.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    to: tuple[str, ...]
    message_id: str
    subject: str
    body: str
    auto_submitted: str
    #: The files attached: (file name, content type, bytes).
    attachments: tuple[tuple[str, str, bytes], ...] = ()


class Recorder:
    """The handler of the test server.

    ``refuse(n)`` answers the next ``n`` messages with a temporary failure. ``hold()`` makes the
    next message wait, unanswered, until ``release()``: a worker that sends it is stuck in the
    middle of its batch (``arrived`` is set when that happens) and can be killed there. A held
    message is never recorded as received.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._refusals = 0
        self._hold: threading.Event | None = None
        self.arrived = threading.Event()

    # -- controls --------------------------------------------------------------------------

    def refuse(self, count: int = 1) -> None:
        with self._lock:
            self._refusals = count

    def hold(self) -> None:
        self.arrived.clear()
        self._hold = threading.Event()

    def release(self) -> None:
        if self._hold is not None:
            self._hold.set()
        self._hold = None

    # -- what arrived ----------------------------------------------------------------------

    def messages(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def ids(self) -> Counter[str]:
        return Counter(m.message_id for m in self.messages())

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages() if address in m.to]

    # -- aiosmtpd hook ---------------------------------------------------------------------

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        hold = self._hold
        if hold is not None:
            self.arrived.set()
            while not hold.is_set():
                await asyncio.sleep(0.02)
            return "451 4.3.0 Held by the test and never delivered"
        with self._lock:
            if self._refusals > 0:
                self._refusals -= 1
                return "451 4.3.0 Temporary failure, try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        received = Received(
            to=tuple(envelope.rcpt_tos),
            message_id=str(message["Message-ID"]),
            subject=str(message["Subject"]).strip(),
            body=message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n"),
            auto_submitted=str(message["Auto-Submitted"]),
            attachments=tuple(
                (
                    str(part.get_filename()),
                    part.get_content_type(),
                    part.get_payload(decode=True) or b"",
                )
                for part in message.iter_attachments()
            ),
        )
        with self._lock:
            self.received.append(received)
        return "250 2.0.0 Accepted"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(settings: Any) -> Iterator[Recorder]:
    """Run the server and point Django's SMTP backend at it (``settings`` is pytest-django's
    fixture, so every override is undone after the test)."""
    port = free_port()
    recorder = Recorder(port)
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "accord@provider.test"
    try:
        yield recorder
    finally:
        recorder.release()
        controller.stop()
