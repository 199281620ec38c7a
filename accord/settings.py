"""Django settings for Accord.

Everything an operator may change comes from the environment (see docs/operator.md), so the same
code runs a laptop demo on SQLite and a production cluster on PostgreSQL. Secrets that are not
provided are generated once into the var/ directory and never committed.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ACCORD_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

ACCORD_ENV = os.environ.get("ACCORD_ENV", "development").lower()
PRODUCTION = ACCORD_ENV == "production"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def _secret_key() -> str:
    """Return the configured key, or one generated on first start and kept in var/."""
    configured = os.environ.get("ACCORD_SECRET_KEY")
    if configured:
        return configured
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("ACCORD_DEBUG", False)
ALLOWED_HOSTS = _env_list(
    "ACCORD_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = _env_list("ACCORD_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "accord.core",
    "accord.agreements",
    "accord.portfolio",
    "accord.tickets",
    "accord.incidents",
    "accord.service_requests",
    "accord.feedback",
    "accord.portal",
    "accord.notifications",
    "accord.governance",
    "accord.problems",
    "accord.changes",
    "accord.availability",
    "accord.capacity",
    "accord.improvement",
    "accord.transitions",
    "accord.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accord.core.middleware.AuditContextMiddleware",
    "accord.core.middleware.TimezoneMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "accord.urls"
WSGI_APPLICATION = "accord.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "accord" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accord.core.context_processors.navigation",
                "accord.notifications.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'accord.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # Writers take the lock at BEGIN, so concurrent transactions queue instead of failing
        # half-way with "database is locked"; WAL lets readers go on while one writes.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (not :memory:) so tests with real threads share one database; one per test
    # process so that parallel runs never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"].setdefault("OPTIONS", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication and security ------------------------------------------------------------
AUTH_USER_MODEL = "core.Person"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = int(os.environ.get("ACCORD_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("ACCORD_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_bool("ACCORD_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("ACCORD_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = _env_bool("ACCORD_HSTS_PRELOAD", True)
    if _env_bool("ACCORD_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if not SECURE_SSL_REDIRECT:
        # The operator terminates TLS in front of Accord and redirects there.
        SILENCED_SYSTEM_CHECKS = ["security.W008"]

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français")]
TIME_ZONE = os.environ.get("ACCORD_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "accord" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Outside production static files are looked up when asked for, as in development, instead of
# every file being read into the middleware when it starts (which the test client does for each
# test).
WHITENOISE_AUTOREFRESH = not PRODUCTION
MEDIA_ROOT = Path(os.environ.get("ACCORD_MEDIA_ROOT", VAR_DIR / "media"))

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_HOST = os.environ.get("ACCORD_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("ACCORD_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("ACCORD_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("ACCORD_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("ACCORD_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("ACCORD_EMAIL_FROM", "accord@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("ACCORD_EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend"
)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accord.core.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "accord.core.api.pagination.AccordCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "accord.core.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Accord API",
    "DESCRIPTION": "Service management the ISO/IEC 20000-1 way. All lists use cursor pagination; "
    "editable records carry a version returned as ETag and checked through If-Match.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice fields share names across apps (kind, status); name each enum once.
    "ENUM_NAME_OVERRIDES": {
        "AgreementKindEnum": "accord.agreements.choices.AgreementKind",
        "AgreementStatusEnum": "accord.agreements.choices.AgreementStatus",
        "OrganisationKindEnum": "accord.core.choices.OrganisationKind",
        "ServiceStatusEnum": "accord.portfolio.choices.ServiceStatus",
        "CIStatusEnum": "accord.portfolio.choices.CIStatus",
        "CIRelationKindEnum": "accord.portfolio.choices.CIRelationKind",
        "RoleEnum": "accord.core.choices.Role",
        "ApprovalDecisionEnum": "accord.service_requests.choices.ApprovalDecision",
        "TransitionStageEnum": "accord.transitions.choices.Stage",
        "TransitionKindEnum": "accord.transitions.choices.TransitionKind",
        # Described inline by value (no labels): the override names the values alone.
        "OutageStateEnum": ["upcoming", "ongoing", "restored", "closed", "cancelled"],
        "ReviewStatusEnum": ["planned", "held", "approved", "cancelled"],
    },
}

# --- Background work ------------------------------------------------------------------------
ACCORD_BROKER_URL = os.environ.get("ACCORD_BROKER_URL", "")
CELERY_BROKER_URL = ACCORD_BROKER_URL or "memory://"
CELERY_RESULT_BACKEND = os.environ.get("ACCORD_RESULT_BACKEND", ACCORD_BROKER_URL or None)
# Without a broker, tasks run in the calling process (the embedded mode of `accord serve`).
CELERY_TASK_ALWAYS_EAGER = not ACCORD_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "accord.core.tasks.clear_expired_sessions",
        "schedule": 3600,
    },
    "verify-audit-chain": {"task": "accord.core.tasks.verify_audit_chain", "schedule": 6 * 3600},
    "escalate-sla-clocks": {"task": "accord.agreements.tasks.escalate_clocks", "schedule": 60},
    "send-outbox": {"task": "accord.notifications.tasks.send_outbox", "schedule": 60},
    "escalate-complaints": {"task": "accord.feedback.tasks.escalate_complaints", "schedule": 300},
    "remind-document-reviews": {
        "task": "accord.governance.tasks.remind_document_reviews",
        "schedule": 3600,
    },
    "remind-approvals": {
        "task": "accord.service_requests.tasks.remind_approvals",
        "schedule": 300,
    },
    "detect-problems": {"task": "accord.problems.tasks.detect_problems", "schedule": 15 * 60},
    "follow-up-changes": {"task": "accord.changes.tasks.follow_up_changes", "schedule": 15 * 60},
    # Ongoing outages use up downtime budgets as time passes: warn before the target is lost.
    # Capacity samples rolled up, thresholds read, expired raw samples deleted.
    "roll-up-capacity": {"task": "accord.capacity.tasks.roll_up_capacity", "schedule": 5 * 60},
    # Each target is read when its own interval has passed; this only looks for due ones.
    "scrape-capacity-targets": {"task": "accord.capacity.tasks.scrape_targets", "schedule": 30},
    # Overdue improvement actions: their owners are reminded once.
    "remind-improvement-actions": {
        "task": "accord.improvement.tasks.remind_overdue_actions",
        "schedule": 3600,
    },
    # Last month's SLA breach trends and satisfaction per service: improvements raised once.
    "detect-improvement-opportunities": {
        "task": "accord.improvement.tasks.detect_opportunities",
        "schedule": 6 * 3600,
    },
    # Overdue corrective actions and effectiveness checks that fall due: reminded once each.
    "remind-nonconformities": {
        "task": "accord.improvement.tasks.remind_nonconformities",
        "schedule": 3600,
    },
    "watch-availability": {
        "task": "accord.availability.tasks.watch_availability",
        "schedule": 10 * 60,
    },
    # Monthly service reports: sent on the first working day once signed off (each once).
    "deliver-service-reports": {
        "task": "accord.reports.tasks.deliver_reports",
        "schedule": 15 * 60,
    },
    # Finishes re-targeting runs that no worker took (embedded mode) or that were interrupted.
    "resume-retarget-runs": {
        "task": "accord.agreements.tasks.resume_retarget_runs",
        "schedule": 30,
    },
}

# How long a service request's approval may wait before its approvers are reminded (once).
ACCORD_APPROVAL_REMIND_HOURS = float(os.environ.get("ACCORD_APPROVAL_REMIND_HOURS", 24))

# How many days before a document's review date its owner is reminded (once; again when overdue).
ACCORD_DOCUMENT_REVIEW_NOTICE_DAYS = int(os.environ.get("ACCORD_DOCUMENT_REVIEW_NOTICE_DAYS", 30))

# Proactive problem detection: a problem is proposed when at least this many incidents within
# this many days share a service and CI, a category, or a normalised title.
ACCORD_PROBLEM_CLUSTER_MIN = int(os.environ.get("ACCORD_PROBLEM_CLUSTER_MIN", 3))
ACCORD_PROBLEM_CLUSTER_WINDOW_DAYS = int(os.environ.get("ACCORD_PROBLEM_CLUSTER_WINDOW_DAYS", 14))

# Change policy (see docs/changes/policy.md). A change's risk class follows from the sum of the
# weights of its risk answers: at least MEDIUM points is medium, at least HIGH points is high.
ACCORD_CHANGE_RISK_MEDIUM = int(os.environ.get("ACCORD_CHANGE_RISK_MEDIUM", 5))
ACCORD_CHANGE_RISK_HIGH = int(os.environ.get("ACCORD_CHANGE_RISK_HIGH", 10))
# How long after its approval an emergency change's record must be complete.
ACCORD_CHANGE_EMERGENCY_DOC_HOURS = int(os.environ.get("ACCORD_CHANGE_EMERGENCY_DOC_HOURS", 72))
# Incidents opened on a change's services within this many days after it was implemented are
# linked to it as possibly caused by it.
ACCORD_CHANGE_CAUSED_WINDOW_DAYS = int(os.environ.get("ACCORD_CHANGE_CAUSED_WINDOW_DAYS", 3))

# Availability (see docs/availability.md). An unplanned outage longer than this many minutes
# needs a completed investigation before it may close.
ACCORD_AVAILABILITY_INVESTIGATION_MINUTES = int(
    os.environ.get("ACCORD_AVAILABILITY_INVESTIGATION_MINUTES", 30)
)
# Share of a period's downtime budget at which the availability target counts as threatened
# (when the agreement's availability target sets no warning threshold of its own).
ACCORD_AVAILABILITY_WARNING_SHARE = float(os.environ.get("ACCORD_AVAILABILITY_WARNING_SHARE", 0.8))

# Capacity (see docs/capacity.md): raw samples are kept this many days (their hourly and daily
# rollups for good); samples timed more than this many minutes ahead of the clock are refused.
ACCORD_CAPACITY_RAW_DAYS = int(os.environ.get("ACCORD_CAPACITY_RAW_DAYS", 90))
ACCORD_CAPACITY_FUTURE_MINUTES = int(os.environ.get("ACCORD_CAPACITY_FUTURE_MINUTES", 5))

# Largest attachment accepted on a ticket.
ACCORD_ATTACHMENT_MAX_BYTES = int(os.environ.get("ACCORD_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))

# The provider's logo in the header of every PDF (a PNG, JPEG or SVG file under 512 KB).
ACCORD_LOGO_FILE = os.environ.get("ACCORD_LOGO_FILE", "")

# Where people reach Accord, for links in e-mails (e.g. https://accord.example.com).
ACCORD_PUBLIC_URL = os.environ.get("ACCORD_PUBLIC_URL", "")

# Demo data loaders, in dependency order (`accord demo`).
ACCORD_DEMO_MODULES = [
    "accord.core.demo",
    "accord.portfolio.demo",
    "accord.transitions.demo",
    "accord.incidents.demo",
    "accord.service_requests.demo",
    "accord.feedback.demo",
    "accord.governance.demo",
    "accord.problems.demo",
    "accord.changes.demo",
    "accord.availability.demo",
    "accord.capacity.demo",
    "accord.improvement.demo",
    "accord.governance.demo_audits",
    "accord.reports.demo",
]

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ACCORD_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # PDF rendering reports each step and font subset at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Nonconformities: how long after the last corrective action is done its effectiveness is
# checked (the default of the due date; the owner may set another), and for how long after
# closing a nonconformity on the same clause (and service) counts as a recurrence.
ACCORD_NC_EFFECTIVENESS_DAYS = int(os.environ.get("ACCORD_NC_EFFECTIVENESS_DAYS", 30))
ACCORD_NC_RECURRENCE_DAYS = int(os.environ.get("ACCORD_NC_RECURRENCE_DAYS", 365))
# Improvement opportunities detected from last month's results per live service: SLA breaches
# rising to at least this many, or mean satisfaction below this score on enough answers.
ACCORD_IMPROVEMENT_BREACH_TREND_MIN = int(os.environ.get("ACCORD_IMPROVEMENT_BREACH_TREND_MIN", 3))
ACCORD_IMPROVEMENT_SATISFACTION_BELOW = float(
    os.environ.get("ACCORD_IMPROVEMENT_SATISFACTION_BELOW", 3.5)
)
ACCORD_IMPROVEMENT_SATISFACTION_MIN_ANSWERS = int(
    os.environ.get("ACCORD_IMPROVEMENT_SATISFACTION_MIN_ANSWERS", 5)
)
# Management reviews: the interval at which the next one is planned when one is approved.
ACCORD_REVIEW_INTERVAL_MONTHS = int(os.environ.get("ACCORD_REVIEW_INTERVAL_MONTHS", 6))
