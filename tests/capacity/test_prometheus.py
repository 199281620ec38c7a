"""Scraping Prometheus endpoints: a real HTTP server on 127.0.0.1 serves the texts, so the
fetch, the parse, the matching by name and labels, the scaling and the timestamps are
exercised end to end. A target that cannot be read records why and never stops the job."""

from __future__ import annotations

import datetime as dt
import http.server
import socket
import threading
import time
from unittest import mock

import pytest
from django.utils import timezone

from accord.capacity import prometheus, services
from accord.capacity.models import Sample, ScrapeTarget
from accord.capacity.tasks import scrape_targets
from tests.capacity.factories import MetricFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
#: 2026-11-25T23:06:40Z, in the milliseconds the exposition format uses.
STAMPED = 1_795_600_000

EXPORTER = f"""\
# HELP node_filesystem_avail_bytes Filesystem space available to non-root users in bytes.
# TYPE node_filesystem_avail_bytes gauge
node_filesystem_avail_bytes{{device="/dev/sda1",fstype="ext4",mountpoint="/"}} 5.0e+10
node_filesystem_avail_bytes{{device="/dev/sdb1",fstype="xfs",mountpoint="/var/mail"}} 1.2e+12
# HELP node_filesystem_size_bytes Filesystem size in bytes.
# TYPE node_filesystem_size_bytes gauge
node_filesystem_size_bytes{{device="/dev/sdb1",fstype="xfs",mountpoint="/var/mail"}} 2e+12
# HELP http_requests_total Requests served, with a label value holding an escaped quote.
# TYPE http_requests_total counter
http_requests_total{{method="get",code="200",path="/say \\"hi\\""}} 1027 {STAMPED}000
http_requests_total{{method="post",code="200",path="/"}} 3
# HELP mail_queue_length Messages waiting for delivery.
# TYPE mail_queue_length gauge
mail_queue_length 17
"""

PAGES = {
    "/metrics": (200, EXPORTER),
    "/garbage": (200, "<html><body>Welcome to the portal</body></html>\n"),
    "/broken": (500, "internal error\n"),
    "/empty": (200, "# nothing exported yet\n"),
}


class Exporter(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/slow":
            time.sleep(1.5)
        status, body = PAGES.get(self.path, (404, "not found\n"))
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def exporter():
    """The base address of a Prometheus exporter running in a thread."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Exporter)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def target(url: str, **kwargs) -> ScrapeTarget:
    return services.target_create(actor=None, data={"name": url[-40:], "url": url, **kwargs})


def values(metric) -> list[tuple[dt.datetime, float]]:
    return list(Sample.objects.filter(metric=metric).order_by("at").values_list("at", "value"))


def test_a_realistic_text_parses_into_labelled_samples_with_their_timestamps():
    samples = prometheus.parse(EXPORTER)
    assert [s.name for s in samples] == [
        "node_filesystem_avail_bytes",
        "node_filesystem_avail_bytes",
        "node_filesystem_size_bytes",
        "http_requests_total",
        "http_requests_total",
        "mail_queue_length",
    ]
    mail = samples[1]
    assert mail.labels == {"device": "/dev/sdb1", "fstype": "xfs", "mountpoint": "/var/mail"}
    assert mail.value == 1.2e12 and mail.timestamp is None
    counter = samples[3]
    assert counter.labels["path"] == '/say "hi"'
    assert (counter.value, counter.timestamp) == (1027.0, float(STAMPED))


def test_a_scrape_stores_what_matches_by_name_and_labels_scaled_and_timed(exporter):
    mail_free = MetricFactory(
        code="MAIL-FREE",
        prometheus_name="node_filesystem_avail_bytes",
        prometheus_labels={"mountpoint": "/var/mail"},
        prometheus_scale=1e-12,
    )
    requests = MetricFactory(
        code="PORTAL-REQUESTS",
        unit="requests",
        usable_capacity=1e6,
        warning_threshold=8e5,
        critical_threshold=9e5,
        prometheus_name="http_requests_total",
        prometheus_labels={"method": "get", "code": 200},
    )
    queue = MetricFactory(code="MAIL-QUEUE", prometheus_name="mail_queue_length")
    elsewhere = MetricFactory(
        prometheus_name="node_filesystem_avail_bytes", prometheus_labels={"mountpoint": "/srv"}
    )
    retired = MetricFactory(prometheus_name="mail_queue_length", is_active=False)
    unnamed = MetricFactory(prometheus_name="")
    site = target(f"{exporter}/metrics")

    outcome = services.scrape(site, NOW)

    assert (outcome.stored, outcome.error, outcome.rejected) == (3, "", [])
    assert values(mail_free) == [(NOW, pytest.approx(1.2))]
    assert values(requests) == [(dt.datetime.fromtimestamp(STAMPED, tz=dt.UTC), 1027.0)]
    assert values(queue) == [(NOW, 17.0)]
    for other in (elsewhere, retired, unnamed):
        assert values(other) == []
    site.refresh_from_db()
    assert (site.last_scraped_at, site.last_error, site.last_stored, site.version) == (
        NOW,
        "",
        3,
        1,
    )


def test_scraping_twice_stores_the_same_rows(exporter):
    queue = MetricFactory(code="MAIL-QUEUE", prometheus_name="mail_queue_length")
    site = target(f"{exporter}/metrics")
    services.scrape(site, NOW)
    services.scrape(site, NOW)
    assert values(queue) == [(NOW, 17.0)]


def test_labels_that_match_several_samples_store_nothing_and_say_so(exporter):
    vague = MetricFactory(code="ANY-DISK", prometheus_name="node_filesystem_avail_bytes")
    queue = MetricFactory(code="MAIL-QUEUE", prometheus_name="mail_queue_length")
    site = target(f"{exporter}/metrics")
    outcome = services.scrape(site, NOW)
    assert outcome.stored == 1
    assert values(vague) == [] and values(queue) == [(NOW, 17.0)]
    site.refresh_from_db()
    assert "ANY-DISK" in site.last_error and "2 samples" in site.last_error


def test_a_sample_too_old_for_the_raw_retention_is_reported_on_the_target(exporter):
    requests = MetricFactory(
        code="PORTAL-REQUESTS",
        prometheus_name="http_requests_total",
        prometheus_labels={"method": "get"},
    )
    site = target(f"{exporter}/metrics")
    outcome = services.scrape(site, NOW + dt.timedelta(days=400))
    assert outcome.stored == 0
    assert outcome.rejected == [{"metric": "PORTAL-REQUESTS", "errors": {"at": mock.ANY}}]
    site.refresh_from_db()
    assert site.last_error.startswith("PORTAL-REQUESTS: at: The time is older")
    assert values(requests) == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/garbage", "not in the Prometheus text format"),
        ("/broken", "HTTP 500"),
        ("/nowhere", "HTTP 404"),
    ],
)
def test_a_target_serving_garbage_or_an_error_records_it(exporter, path, expected):
    MetricFactory(prometheus_name="mail_queue_length")
    site = target(f"{exporter}{path}")
    outcome = services.scrape(site, NOW)
    assert outcome.stored == 0 and expected in outcome.error
    site.refresh_from_db()
    assert expected in site.last_error
    assert site.last_scraped_at == NOW and site.last_stored == 0
    assert Sample.objects.count() == 0


def test_an_unreachable_target_records_its_error_instead_of_raising():
    site = target(f"http://127.0.0.1:{closed_port()}/metrics")
    outcome = services.scrape(site, NOW)
    assert "could not be reached" in outcome.error
    site.refresh_from_db()
    assert "could not be reached" in site.last_error and site.last_scraped_at == NOW


def test_a_target_that_does_not_answer_in_time_records_the_timeout(exporter):
    site = target(f"{exporter}/slow")
    started = time.monotonic()
    outcome = services.scrape(site, NOW, timeout=0.3)
    assert time.monotonic() - started < 1.4
    assert "0.3 seconds" in outcome.error or "timed out" in outcome.error


def test_an_empty_exposition_is_a_clean_scrape_of_nothing(exporter):
    site = target(f"{exporter}/empty")
    outcome = services.scrape(site, NOW)
    assert (outcome.stored, outcome.error) == (0, "")


def test_a_clean_scrape_clears_the_previous_error(exporter):
    site = target(f"{exporter}/broken")
    services.scrape(site, NOW)
    ScrapeTarget.objects.filter(pk=site.pk).update(url=f"{exporter}/metrics")
    site.refresh_from_db()
    services.scrape(site, NOW + dt.timedelta(minutes=5))
    site.refresh_from_db()
    assert site.last_error == ""


def test_the_job_scrapes_only_targets_whose_interval_has_passed(exporter):
    queue = MetricFactory(code="MAIL-QUEUE", prometheus_name="mail_queue_length")
    due = target(f"{exporter}/metrics", interval_seconds=60)
    recent = target(f"{exporter}/metrics?recent", interval_seconds=600)
    ScrapeTarget.objects.filter(pk=recent.pk).update(
        last_scraped_at=timezone.now() - dt.timedelta(seconds=120)
    )
    down = target(f"http://127.0.0.1:{closed_port()}/metrics")
    paused = target(f"{exporter}/metrics?paused", is_active=False)

    first = scrape_targets()
    second = scrape_targets()  # nothing is due again yet

    assert first == {"scraped": 2, "stored": 1, "with_errors": 1}
    assert second == {"scraped": 0, "stored": 0, "with_errors": 0}
    assert len(values(queue)) == 1
    for site, scraped in ((due, True), (down, True), (paused, False)):
        site.refresh_from_db()
        assert (site.last_scraped_at is not None) is scraped
    recent.refresh_from_db()
    assert recent.last_stored == 0


def test_only_http_addresses_are_ever_fetched():
    for url in ("file:///etc/passwd", "ftp://example.net/metrics", "http:///metrics"):
        with pytest.raises(prometheus.ScrapeError):
            prometheus.fetch(url)
