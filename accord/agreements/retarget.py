"""Bringing open clocks in line after a calendar changes or an agreement is terminated.

A clock's truth is always computed from its facts and the agreement's *current* calendar, so a
changed calendar is right at once wherever a clock is read. What lags are the stored readings
(due and warning instants) that queues sort by and the escalation job scans, and the tickets'
summaries. A :class:`RetargetRun` updates them in batches of clocks, each batch in its own
transaction that also advances the run's cursor: an interrupted run resumes after the last
finished batch, two workers on the same run take turns, and nothing here ever runs inside the
request that saved the calendar.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accord.agreements import clocks
from accord.agreements.choices import ClockState
from accord.agreements.models import Agreement, Calendar, RetargetRun, TicketClock

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000


def _enqueue(run: RetargetRun) -> None:
    """With workers, start at once; embedded, the periodic pass of `accord serve` picks it up
    (running it here would make the person who saved the calendar wait for it)."""
    if not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        from accord.agreements.tasks import process_retarget_run

        transaction.on_commit(lambda: process_retarget_run.delay(run.pk))


def request_calendar_retarget(calendar: Calendar, now: dt.datetime | None = None) -> RetargetRun:
    """Queue a pass over the open clocks of every agreement on ``calendar``."""
    run = RetargetRun.objects.create(
        reason=RetargetRun.Reason.CALENDAR_CHANGED,
        calendar=calendar,
        requested_at=now or timezone.now(),
    )
    _enqueue(run)
    return run


def request_agreement_cancel(agreement: Agreement, now: dt.datetime | None = None) -> RetargetRun:
    """Queue the cancelling of the open clocks of a terminated agreement."""
    run = RetargetRun.objects.create(
        reason=RetargetRun.Reason.AGREEMENT_TERMINATED,
        agreement=agreement,
        requested_at=now or timezone.now(),
    )
    _enqueue(run)
    return run


def _batch(run: RetargetRun, size: int) -> tuple[list[TicketClock], int]:
    """The next clocks of the run, locked after their tickets (the order ticket services use)."""
    qs = TicketClock.objects.filter(stopped_at__isnull=True, pk__gt=run.last_clock_id).exclude(
        state=ClockState.CANCELLED
    )
    if run.calendar_id is not None:
        qs = qs.filter(agreement__calendar_id=run.calendar_id)
    else:
        qs = qs.filter(agreement_id=run.agreement_id)
    heads = list(qs.order_by("pk").values_list("pk", "content_type_id", "object_id")[:size])
    if not heads:
        return [], 0
    clocks.lock_tickets((content_type, object_id) for _, content_type, object_id in heads)
    # Locked now; a clock stopped meanwhile by someone working its ticket is left out.
    batch = list(
        TicketClock.objects.filter(pk__in=[pk for pk, _, _ in heads], stopped_at__isnull=True)
        .exclude(state=ClockState.CANCELLED)
        .order_by("pk")
        .select_for_update()
    )
    # The few agreements (and calendars) of a batch are loaded once, not joined on every row.
    agreements = Agreement.objects.select_related("calendar").in_bulk(
        {clock.agreement_id for clock in batch}
    )
    for clock in batch:
        clock.agreement = agreements[clock.agreement_id]
    return batch, heads[-1][0]


def process_run(
    run_id: int,
    *,
    now: dt.datetime | None = None,
    batch_size: int = BATCH_SIZE,
    max_batches: int | None = None,
) -> RetargetRun:
    """Work through a run batch by batch until it is done (or ``max_batches`` were done)."""
    done_batches = 0
    while max_batches is None or done_batches < max_batches:
        with transaction.atomic():
            run = RetargetRun.objects.select_for_update().get(pk=run_id)
            if run.status in (RetargetRun.Status.DONE, RetargetRun.Status.FAILED):
                return run
            moment = now or timezone.now()
            if run.started_at is None:
                run.started_at = moment
            batch, last_id = _batch(run, batch_size)
            if not last_id:
                run.status = RetargetRun.Status.DONE
                run.finished_at = moment
                run.save()
                return run
            if run.reason == RetargetRun.Reason.AGREEMENT_TERMINATED:
                changed = clocks.cancel_many(batch, moment, "agreement terminated")
            else:
                changed = clocks.refresh_clocks(batch, moment)
            clocks.update_summaries(changed)
            run.last_clock_id = last_id
            run.processed += len(batch)
            run.status = RetargetRun.Status.RUNNING
            run.save()
        done_batches += 1
    return RetargetRun.objects.get(pk=run_id)


def resume_runs(now: dt.datetime | None = None) -> int:
    """Finish every pending or interrupted run, oldest first; returns how many were finished."""
    finished = 0
    ids = list(
        RetargetRun.objects.filter(
            status__in=(RetargetRun.Status.PENDING, RetargetRun.Status.RUNNING)
        )
        .order_by("requested_at", "pk")
        .values_list("pk", flat=True)
    )
    for run_id in ids:
        try:
            if process_run(run_id, now=now).status == RetargetRun.Status.DONE:
                finished += 1
        except Exception as exc:  # a broken run must not stop the others; it is kept for review
            logger.exception("Re-targeting run %s failed", run_id)
            RetargetRun.objects.filter(pk=run_id).update(
                status=RetargetRun.Status.FAILED, error=str(exc)[:2000]
            )
    return finished
