"""Settings for the anakinra companion, read from the environment.

Every variable is listed in the README. A malformed value stops start-up with
a message naming the variable (django-environ raises ImproperlyConfigured).
"""

from pathlib import Path

import django
import environ
import jinja2
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
# The development key is only ever used with DEBUG on; production settings refuse it.
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "companion",
    "doses",
    "reminders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Every response from here on may carry health data: no-store, private (companion/headers.py).
    "companion.headers.PrivateResponseMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # A cookie holding a NUL is as if not sent: a NUL session cookie is no session (companion/null_characters.py).
    "companion.null_characters.IgnoreNullCookiesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # An unchanged session is saved (its expiry renewed) at most once a minute (companion/sessions.py).
    "companion.sessions.RenewActiveSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A page whose database connection was lost mid-request is tried once more (companion/database.py).
    "companion.database.RetryReadOnLostConnection",
    # Audit trail: records who viewed or changed a patient's record (companion/audit.py).
    "companion.audit.AuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # A NUL in the path, query string or a header: a 400 before any view (PostgreSQL cannot store NUL).
    # Inside the header middleware above, so the 400 page carries the same headers as every page.
    "companion.null_characters.RefuseNullCharactersMiddleware",
    # Last, so that a locked-out sign-in is answered before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "companion.urls"
WSGI_APPLICATION = "companion.wsgi.application"
ASGI_APPLICATION = "companion.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "companion.context_processors.navigation",
                "companion.context_processors.emergency_numbers_fallback",
            ],
        },
    },
    {
        # Only for hot partials that a view renders itself (the log page's body map and radio
        # options, the panel's rows, the patient page's calendar), asked for with using="jinja2":
        # the pages themselves stay Django templates.
        # Django's own widget templates for Jinja2 come second, for the radio inputs.
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2", Path(django.__file__).parent / "forms" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "companion.jinja2.environment",
            "undefined": jinja2.StrictUndefined,
            "trim_blocks": True,
            "lstrip_blocks": True,
        },
    },
]

# SQLite by default so a newcomer needs no server; DATABASE_URL switches to PostgreSQL.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'companion.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database host that does not answer fails a request in seconds (the "cannot reach the
    # records" page, companion/database.py) instead of holding the worker until gunicorn kills it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5)
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run` has the web server and the worker writing to one file. A transaction takes
    # the write lock when it begins (IMMEDIATE) and waits for it (timeout, seconds) instead
    # of failing with "database is locked" when it first writes; WAL lets pages be read
    # while the other process writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "companion.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Django's list, with its default PBKDF2 hasher replaced by one that rechecks the database
# connection after the slow hash (companion/signin.py); stored hashes are unchanged.
PASSWORD_HASHERS = [
    "companion.signin.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after inactivity (health data on shared family phones).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
# Sessions end SESSION_COOKIE_AGE after the last activity: not by saving on every request
# (an UPDATE each time) but by RenewActiveSessionMiddleware, which marks an unchanged
# session modified at most once a minute so that Django's middleware saves it and renews
# the expiry and the cookie (companion/sessions.py).
SESSION_SAVE_EVERY_REQUEST = False
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# Login throttling: lock an account+address pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The sign-in form posts the e-mail address as "username"; axes defaults to USERNAME_FIELD
# ("email"), which would record every failure with no account and never lock the account.
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "companion.signin.axes_username"

# Two-factor sign-in (companion/two_factor.py): the name shown in authenticator apps.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Anakinra companion")
# Wrong codes double the wait for the next try (django-otp), never beyond this many seconds.
TWO_FACTOR_MAX_WAIT_SECONDS = env.int("TWO_FACTOR_MAX_WAIT_SECONDS", default=15 * 60)

# Content-Security-Policy: no inline scripts, no third-party origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Permissions-Policy (django-permissions-policy): the app uses no device feature; a page
# (or anything injected into one) may not ask for the camera, the location or payments.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail: to the console by default so a newcomer sees reminders arrive in the worker log.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Care companion <companion@localhost>"
)  # no drug name in the From line

# Redis when REDIS_URL is set (broker, results, cache); otherwise a broker that needs no server.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # An unacknowledged message (its worker died) goes back to the queue after this long.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("REDIS_VISIBILITY_TIMEOUT", default=3600)}
    CACHES = {"default": {"BACKEND": "companion.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "broker"
    # kombu's filesystem transport expects its folders to exist.
    for _folder in (_broker_dir, VAR_DIR / "broker-processed", VAR_DIR / "broker-control"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "broker-processed"),
        "control_folder": str(VAR_DIR / "broker-control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = None
    # Shared by every process on the machine (web, worker, beat, several gunicorn workers): the
    # patient page's fragments are keyed on a record version that the worker's jobs bump too,
    # and a per-process memory cache would keep showing one process the version before them.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# The patient page's and the panel's fragments (Django's {% cache %} tag reads this alias): each
# process keeps its last few in memory in front of the shared cache. Safe because their keys hold a
# record version that every write replaces by a new random token (companion/cache.py).
CACHES["template_fragments"] = {
    "BACKEND": "companion.cache.LocalFirstCache",
    "LOCATION": "template-fragments",
    "OPTIONS": {"SHARED": "default", "MAX_ENTRIES": env.int("FRAGMENT_CACHE_ENTRIES", default=200)},
}

CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Every periodic job, in one place. Each does one unit of work per call and is safe to repeat.
CELERY_BEAT_SCHEDULE = {
    "extend-dose-schedules": {"task": "reminders.tasks.extend_dose_schedules", "schedule": crontab(minute=5)},
    "dispatch-due-reminders": {"task": "reminders.tasks.dispatch_due_reminders", "schedule": 60.0},
    "mark-missed-doses": {"task": "reminders.tasks.mark_missed_doses", "schedule": 300.0},
    "dispatch-care-alerts": {"task": "reminders.tasks.dispatch_care_alerts", "schedule": 60.0},
    "dispatch-fridge-reminders": {"task": "reminders.tasks.dispatch_fridge_reminders", "schedule": 60.0},
    "dispatch-refill-reminders": {
        "task": "reminders.tasks.dispatch_refill_reminders",
        "schedule": crontab(minute="*/15"),
    },
    "dispatch-lab-reminders": {"task": "reminders.tasks.dispatch_lab_reminders", "schedule": crontab(minute="*/15")},
    "flag-persistent-site-reactions": {
        "task": "reminders.tasks.flag_persistent_site_reactions_task",
        "schedule": crontab(minute=20),
    },
    "refresh-adherence-summaries": {
        "task": "reminders.tasks.refresh_adherence_summaries_task",
        "schedule": crontab(minute="*/15"),
    },
}

# MISS-SKIP: "almost time for the next dose" means the next dose is due within this many
# hours (never more than half the gap between doses). Shown to the user with the advice.
MISSED_DOSE_SKIP_WITHIN_HOURS = env.float("MISSED_DOSE_SKIP_WITHIN_HOURS", default=12.0)
# MISS-NODOUBLE: a dose can be logged from this many hours before it is due (never before the
# previous dose's cut-off); earlier, the moment counts for no dose and logging is refused.
DOSE_LOG_EARLY_HOURS = env.float("DOSE_LOG_EARLY_HOURS", default=2.0)
if DOSE_LOG_EARLY_HOURS < 0:
    raise environ.ImproperlyConfigured("Set the DOSE_LOG_EARLY_HOURS environment variable to 0 or more hours.")
# How long after the slot a dose that is not logged is escalated to caregivers.
ESCALATE_AFTER_MINUTES = env.int("ESCALATE_AFTER_MINUTES", default=60)
# Refill reminder once supply lasts this many days or fewer.
REFILL_REMINDER_DAYS = env.int("REFILL_REMINDER_DAYS", default=3)
# How many days of dose slots are kept materialised ahead of today.
SCHEDULE_HORIZON_DAYS = env.int("SCHEDULE_HORIZON_DAYS", default=14)
# Reminders (reminders/): how far back a tick still sends a reminder it missed (worker down),
# how long before a lab is due and before a syringe's 24 hours end (PREP-24H) to remind.
REMINDER_CATCH_UP_MINUTES = env.int("REMINDER_CATCH_UP_MINUTES", default=180)
LAB_REMINDER_DAYS_BEFORE = env.int("LAB_REMINDER_DAYS_BEFORE", default=3)
FRIDGE_REMINDER_BEFORE_MINUTES = env.int("FRIDGE_REMINDER_BEFORE_MINUTES", default=120)
# A worker's claim on a delivery lasts this long; after that (the worker died) it may be re-sent.
DELIVERY_LEASE_SECONDS = env.int("DELIVERY_LEASE_SECONDS", default=300)
# The 08:00 peak (issue 18): deliveries are sent in batches of this many per task, over one
# mail-server connection (1: one task per message, the pipeline before batches); the minute
# tick fans out in this many shards by patient id so that every worker shares the peak (1: one task).
REMINDER_SEND_BATCH_SIZE = env.int("REMINDER_SEND_BATCH_SIZE", default=100)
REMINDER_TICK_SHARDS = env.int("REMINDER_TICK_SHARDS", default=4)
if REMINDER_SEND_BATCH_SIZE < 1 or REMINDER_TICK_SHARDS < 1:
    raise environ.ImproperlyConfigured("REMINDER_SEND_BATCH_SIZE and REMINDER_TICK_SHARDS must be 1 or more.")
# A temporary mail failure is retried with capped exponential backoff (30 s, 60 s, ... up to
# this cap) for as long as the message matters (reminders/relevance.py): an injection reminder
# until its dose window closes, a care-team alert CARE_ALERT_RETRY_FOR_HOURS, fridge reminders
# until the syringe's 24 hours end, everything else (labs, refills, account e-mails) a day.
DELIVERY_RETRY_MAX_INTERVAL_SECONDS = env.int("DELIVERY_RETRY_MAX_INTERVAL_SECONDS", default=600)
DELIVERY_RETRY_FOR_HOURS = env.int("DELIVERY_RETRY_FOR_HOURS", default=24)
CARE_ALERT_RETRY_FOR_HOURS = env.int("CARE_ALERT_RETRY_FOR_HOURS", default=72)
# Account e-mail is not a relay (issue 12): at most this many password-reset e-mails, and as many
# sign-up e-mails, to one address in an hour; more requests get the same page and no e-mail.
ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR = env.int("ACCOUNT_MAILS_PER_ADDRESS_PER_HOUR", default=3)
# Invitations one account may send in 24 hours, and one address may receive (from anyone).
INVITATIONS_PER_ACCOUNT_PER_DAY = env.int("INVITATIONS_PER_ACCOUNT_PER_DAY", default=10)
INVITATIONS_PER_ADDRESS_PER_DAY = env.int("INVITATIONS_PER_ADDRESS_PER_DAY", default=3)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
