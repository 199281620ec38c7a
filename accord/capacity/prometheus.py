"""Reading capacity samples from endpoints that serve the Prometheus text format.

Monitoring already measures most technical resources (disk, memory, connections) and exposes
them as Prometheus text. Rather than asking for a second agent, a scrape target names such an
endpoint; each scrape fetches the text, parses it with ``prometheus_client`` (never by hand:
escaping, label quoting and timestamps have corner cases) and hands the samples that belong to
capacity metrics to :func:`accord.capacity.ingest.ingest`.

A sample belongs to a metric when its name is the metric's ``prometheus_name`` and it carries
every label of the metric's ``prometheus_labels`` with the same value (other labels may be
there). Its value is multiplied by ``prometheus_scale`` (bytes to TB, a ratio to %). Its
instant is its own timestamp when the text gives one, else the time of the scrape. When the
labels of a metric match more than one sample, the metric is ambiguous: nothing is stored for
it and the scrape says so, because storing one of them at random would chart a lie.

A scrape never raises into the job that runs it: an unreachable endpoint, an HTTP error, a
text that is not the Prometheus format or a rejected sample is written to the target's
``last_error`` (empty after a clean scrape), beside ``last_scraped_at`` and ``last_stored``.
Those three are the target's running status, not an edit of it, so they are saved without
bumping its version or writing an audit event (a scrape every minute would otherwise make every
edit of the target stale and flood the trail).
"""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from accord.capacity.ingest import IngestResult, ingest
from accord.capacity.models import Metric, ScrapeTarget

#: Seconds a scrape waits for the endpoint (``ACCORD_CAPACITY_SCRAPE_TIMEOUT`` overrides).
TIMEOUT = 10.0
#: Largest text read from an endpoint; a bigger answer is refused, not stored in part.
MAX_BYTES = 20 * 1024 * 1024
#: Schemes a scrape may fetch (``file:`` or ``ftp:`` would read what is not an exporter).
SCHEMES = frozenset({"http", "https"})
ACCEPT = "text/plain;version=0.0.4;q=0.9,*/*;q=0.1"
#: Longest error text kept on a target.
MAX_ERROR = 2000


class ScrapeError(Exception):
    """The endpoint could not be read, or its answer is not the Prometheus text format."""


@dataclass(frozen=True)
class ScrapedSample:
    """One sample line of a Prometheus text."""

    name: str
    labels: Mapping[str, str]
    value: float
    timestamp: float | None  # Unix seconds, when the line carries one


@dataclass
class ScrapeOutcome:
    """What one scrape did: samples stored, points refused, and the error (empty when clean)."""

    stored: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    matched: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "stored": self.stored,
            "matched": self.matched,
            "rejected": self.rejected,
            "error": self.error,
        }


def check_url(url: str) -> str | None:
    """Why ``url`` cannot be scraped (None when it can): only http and https with a host."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        return "Give an http:// or https:// address."
    if not parts.hostname:
        return "Give the host of the endpoint."
    return None


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to another http(s) address (never to ``ftp:``)."""

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        problem = check_url(newurl)
        if problem:
            raise ScrapeError(f"The endpoint redirects to {newurl[:200]}: {problem}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects)


def fetch(url: str, *, timeout: float | None = None) -> str:
    """The text served at ``url``; raises :class:`ScrapeError` with a readable reason."""
    problem = check_url(url)
    if problem:
        raise ScrapeError(problem)
    timeout = timeout if timeout is not None else _timeout()
    # The scheme is checked above, and redirects too (see _HttpOnlyRedirects).
    request = urllib.request.Request(url, headers={"Accept": ACCEPT})  # noqa: S310
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            body = response.read(MAX_BYTES + 1)
            charset = response.headers.get_content_charset() or "utf-8"
    except urllib.error.HTTPError as exc:
        raise ScrapeError(f"The endpoint answered HTTP {exc.code} {exc.reason}.") from exc
    except urllib.error.URLError as exc:
        raise ScrapeError(f"The endpoint could not be reached: {exc.reason}.") from exc
    except TimeoutError as exc:
        raise ScrapeError(f"The endpoint did not answer within {timeout:g} seconds.") from exc
    except (OSError, ValueError) as exc:
        raise ScrapeError(f"The endpoint could not be read: {exc}.") from exc
    if len(body) > MAX_BYTES:
        raise ScrapeError(f"The answer is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        return body.decode(charset)
    except (LookupError, UnicodeDecodeError) as exc:
        raise ScrapeError(f"The answer is not text in {charset}.") from exc


def _timeout() -> float:
    return float(getattr(settings, "ACCORD_CAPACITY_SCRAPE_TIMEOUT", TIMEOUT))


def parse(text: str) -> list[ScrapedSample]:
    """Every sample of a Prometheus text; raises :class:`ScrapeError` when it is not one."""
    found: list[ScrapedSample] = []
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                timestamp = sample.timestamp
                found.append(
                    ScrapedSample(
                        name=sample.name,
                        labels=dict(sample.labels),
                        value=float(sample.value),
                        timestamp=float(timestamp) if timestamp is not None else None,
                    )
                )
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise ScrapeError(f"The answer is not in the Prometheus text format: {exc}") from exc
    if text.strip() and not found and not _only_comments(text):
        raise ScrapeError("The answer is not in the Prometheus text format: no sample found.")
    return found


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


def _carries(sample: ScrapedSample, labels: Mapping[str, Any]) -> bool:
    return all(sample.labels.get(str(k)) == str(v) for k, v in labels.items())


@dataclass
class Matched:
    """The points for :func:`ingest`, the metrics they name, and the metrics left out."""

    points: list[dict[str, Any]]
    metrics: dict[str, Metric]
    ambiguous: dict[str, int]


def match(
    samples: Iterable[ScrapedSample], metrics: Iterable[Metric], *, now: dt.datetime
) -> Matched:
    """The points of ``samples`` that belong to ``metrics`` (by Prometheus name and labels),
    scaled and timed, keyed by metric code."""
    by_name: dict[str, list[ScrapedSample]] = {}
    for sample in samples:
        by_name.setdefault(sample.name, []).append(sample)
    points: list[dict[str, Any]] = []
    chosen: dict[str, Metric] = {}
    ambiguous: dict[str, int] = {}
    for metric in metrics:
        labels = metric.prometheus_labels if isinstance(metric.prometheus_labels, dict) else {}
        hits = [s for s in by_name.get(metric.prometheus_name, ()) if _carries(s, labels)]
        if not hits:
            continue
        if len(hits) > 1:
            ambiguous[metric.code] = len(hits)
            continue
        sample = hits[0]
        at: Any = now if sample.timestamp is None else sample.timestamp
        value = sample.value * metric.prometheus_scale
        points.append({"metric": metric.code, "at": at, "value": value})
        chosen[metric.code] = metric
    return Matched(points, chosen, ambiguous)


def candidates(names: Iterable[str]) -> list[Metric]:
    """Active metrics scraped under one of ``names`` (one query)."""
    wanted = set(names)
    if not wanted:
        return []
    return list(
        Metric.objects.filter(is_active=True, prometheus_name__in=wanted).only(
            "pk", "code", "prometheus_name", "prometheus_labels", "prometheus_scale"
        )
    )


def _describe(result: IngestResult, matched: Matched) -> str:
    problems = [
        f"{code}: its labels match {count} samples; add labels to pick one."
        for code, count in sorted(matched.ambiguous.items())
    ]
    for rejected in result.rejected[:20]:
        point = matched.points[rejected.index]
        reasons = "; ".join(f"{k}: {v}" for k, v in sorted(rejected.errors.items()))
        problems.append(f"{point['metric']}: {reasons}")
    if len(result.rejected) > 20:
        problems.append(f"… and {len(result.rejected) - 20} more samples refused.")
    return "\n".join(problems)


def scrape_target(
    target: ScrapeTarget, *, now: dt.datetime, timeout: float | None = None
) -> ScrapeOutcome:
    """Scrape ``target`` once and record how it went on the target. Never raises for what
    the endpoint does; the outcome (also saved on the target) says what happened."""
    outcome = ScrapeOutcome()
    try:
        samples = parse(fetch(target.url, timeout=timeout))
    except ScrapeError as exc:
        outcome.error = str(exc)
    else:
        matched = match(samples, candidates({s.name for s in samples}), now=now)
        outcome.matched = len(matched.points)
        result = ingest(matched.points, actor=None, now=now, metrics=matched.metrics)
        outcome.stored = result.stored
        outcome.rejected = [
            {"metric": matched.points[r.index]["metric"], "errors": r.errors}
            for r in result.rejected
        ]
        outcome.error = _describe(result, matched)
    ScrapeTarget.objects.filter(pk=target.pk).update(
        last_scraped_at=now, last_error=outcome.error[:MAX_ERROR], last_stored=outcome.stored
    )
    target.last_scraped_at = now
    target.last_error = outcome.error[:MAX_ERROR]
    target.last_stored = outcome.stored
    return outcome


def is_due(target: ScrapeTarget, now: dt.datetime) -> bool:
    """Whether the target's interval has passed since its last scrape (never scraped: due)."""
    if not target.is_active:
        return False
    if target.last_scraped_at is None:
        return True
    return now - target.last_scraped_at >= dt.timedelta(seconds=target.interval_seconds)
