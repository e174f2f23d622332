"""Settings read from the environment, in this one place.

Every other module receives a `Settings` (or the Flask config built from it) and never reads
`os.environ` itself.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
# The repository keeps migrations at its top level; a wheel ships them as `app/migrations`
# (setup.py maps the folder into the package), so `flask db upgrade` works from either.
_SHIPPED_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATIONS_DIR = (
    _SHIPPED_MIGRATIONS
    if (_SHIPPED_MIGRATIONS / "env.py").is_file()
    else PROJECT_ROOT / "migrations"
)
# The languages the product speaks (catalogues in app/translations/), the first the fallback.
LOCALES = ("zh_CN", "en")

DEV_SECRET_KEY = "dev-only-secret-change-me"
APP_ENVS = ("development", "test", "production")
MIN_SECRET_KEY_BYTES = 32
MIN_PRODUCTION_SCRYPT_N = 2**17
# A run's page polls its progress at most this often and at least this rarely (milliseconds).
MIN_PROGRESS_POLL_MS = 50
MAX_PROGRESS_POLL_MS = 60_000
# Keys seen in examples and tutorials: as good as public.
WEAK_SECRET_KEYS = frozenset(
    {
        DEV_SECRET_KEY,
        "changeme",
        "change-me",
        "secret",
        "secret-key",
        "secret_key",
        "your-secret-key",
        "your-secret-key-here",
        "dev",
        "development",
        "password",
        "supersecret",
    }
)


class ConfigError(RuntimeError):
    """The environment asks for something the app refuses to run with."""


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _optional_int(env: dict[str, str], name: str) -> int | None:
    """An integer, or None when the variable is unset or empty."""
    raw = env.get(name)
    return None if raw is None or raw == "" else _int(env, name, 0)


def _int_tuple(env: dict[str, str], name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """Comma-separated integers, e.g. "1,3,8,50,100"; the default when unset or empty."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return tuple(int(part) for part in raw.split(","))
    except ValueError as exc:
        raise ConfigError(f"{name} must be comma-separated integers, got {raw!r}") from exc


def _float(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def _time(env: dict[str, str], name: str, default: dt.time) -> dt.time:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return dt.time.fromisoformat(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a time of day like 11:30, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    """The application's settings; build with `Settings.from_env()`."""

    app_env: str = "development"
    database_url: str = f"sqlite:///{INSTANCE_DIR / 'fieldservice.db'}"
    # None means background jobs run inline in the calling process (no Redis needed).
    redis_url: str | None = None
    rq_queue: str = "fieldservice"
    secret_key: str = DEV_SECRET_KEY
    # scrypt cost N for new password hashes (r=8, p=1): 2^17 uses 128 MiB and a few tenths of
    # a second; older hashes are redone at this cost on the user's next sign-in.
    password_scrypt_n: int = 2**17
    upload_folder: str = str(INSTANCE_DIR / "uploads")
    access_token_ttl_s: int = 12 * 3600
    device_token_ttl_s: int = 90 * 24 * 3600
    max_content_length: int = 16 * 1024 * 1024
    max_json_body: int = 1024 * 1024
    sync_scope_days_ahead: int = 7
    tombstone_retention_days: int = 60
    rating_link_ttl_days: int = 14
    # Photos: the largest upload accepted, and the most pixels a decoded image may have
    # (a guard against decompression bombs); open upload sessions expire after a while.
    photo_max_bytes: int = 15 * 1024 * 1024
    photo_max_pixels: int = 40_000_000
    upload_session_ttl_hours: int = 72
    thumbnail_px: int = 320
    # A request may make a missing thumbnail itself only when it decodes at most this many
    # pixels (a JPEG decodes at a reduced scale); dearer ones wait for the job.
    thumbnail_inline_max_pixels: int = 4_000_000
    # Where customers reach this server: rating links are built on it.
    public_base_url: str = "http://127.0.0.1:5000"
    # Rating pages and their photos: requests per client address per minute.
    rating_rate_limit_per_min: int = 30
    # Public knowledge-base requests (customer search, views, votes) per client address.
    kb_rate_limit: str = "60 per minute; 600 per hour"
    # Failed sign-ins (API token and console) allowed per account and per client address,
    # in `limits` notation; several windows make repeated failures wait longer.
    login_limit_per_account: str = "5 per minute; 20 per hour"
    login_limit_per_client: str = "20 per minute; 100 per hour"
    # Outgoing messages: "log" writes them to the log, "smtp" sends e-mail.
    message_sender: str = "log"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "no-reply@fieldservice.local"
    smtp_starttls: bool = False
    # SMS and WeChat template messages: "log" writes them to the log, "webhook" posts them as
    # signed JSON to MESSAGE_WEBHOOK_URL (the operator's bridge to their provider).
    text_message_sender: str = "log"
    message_webhook_url: str | None = None
    message_webhook_secret: str | None = None
    message_webhook_timeout_s: float = 10.0
    # Progress links: valid this many days from the last message that carried them.
    progress_link_ttl_days: int = 60
    # Self-service requests (repairs, changes of a visit): per phone number and per client
    # address, in `limits` notation.
    customer_request_limit_per_phone: str = "5 per hour; 20 per day"
    customer_request_limit_per_client: str = "20 per hour; 100 per day"
    # The arrival windows customers may pick (local time) and how many days ahead, from tomorrow.
    customer_windows: str = "09:00-12:00,13:00-17:00"
    customer_window_days: int = 7
    # Who owns complaints opened automatically; empty means the first active admin.
    complaint_owner_email: str | None = None
    # The one travel model (dispatch.travel.GeodesicProvider) of the planner, the SLA check's
    # re-timed routes and the board's drive estimates: crow-flight distance times a road detour
    # factor, driven at an average city speed.
    sla_travel_kmh: int = 25
    travel_detour_factor: float = 1.3
    # A technician's lunch break: this many minutes, taken between the earliest start and the
    # latest end (local time), on every shift long enough for one.
    lunch_earliest: dt.time = dt.time(11, 30)
    lunch_latest: dt.time = dt.time(13, 30)
    lunch_minutes: int = 45
    # SLA check: how long before a complaint stage is due it turns to warning, who is told of
    # breaches (empty: active dispatchers), and how often the scheduled check runs.
    sla_complaint_warn_min: int = 120
    sla_alert_email: str | None = None
    sla_check_interval_s: int = 300
    # The optimizer's time limit offered by default when a run starts from the console.
    console_run_seconds: int = 10
    # How often a run's page in the console asks for the run's progress, in milliseconds.
    console_progress_poll_ms: int = 700
    # Stop every run's search after this many iterations, before its time limit if that comes
    # first: the same request then gives the same plan however busy the machine is. None: the
    # time limit alone decides how long the search works.
    solver_search_iterations: int | None = None
    # The planner's time resolution in seconds (a divisor of 60): drives are rounded up to it and
    # plan times fall on its grid. 1 plans drives to the second (published times carry seconds);
    # 60 plans whole minutes and loses about 30 s per drive, 2-4 visits a day of 90 technicians
    # (docs/benchmarks.md, "Planning in seconds").
    planner_time_unit_s: int = 1
    # The planner's drop penalty per priority 1..5 (dispatch.SolverSettings.priority_weights):
    # how many visits of one priority the plan gives up for one of the next. The default keeps
    # a factor 10 per step; "1,3,8,50,100" trades as the benchmark days' weighted share counts.
    # The planner checks their order at start (app.services.travel.check_planner_settings): sync
    # reads this module and may not import the planner.
    planner_priority_weights: tuple[int, ...] = (1, 10, 100, 1_000, 10_000)
    # A run whose horizon has at least this many visits is split into zones solved by separate
    # rq workers (only with REDIS_URL; inline, the whole day is solved at once), with at most
    # about zone_visits visits per zone and at least one zone per live worker (the search is
    # strong on large zones: fewer, larger zones lose less at their borders).
    zone_split_min_visits: int = 1000
    zone_visits: int = 1000
    # The day starts: at this local hour the periodic job moves today's published visits to
    # `dispatched`, so technicians can start travel.
    day_start_hour: int = 7
    # Optimizer runs: the solving process stamps its run every `run_heartbeat_s`; a running run
    # unstamped for `run_stale_after_s` is failed by the stale-run check, which runs every
    # `run_stale_check_s` (so a killed worker's run is failed within their sum). Seconds, with
    # fractions allowed (tests beat every quarter second).
    run_heartbeat_s: float = 5.0
    run_stale_after_s: float = 40.0
    run_stale_check_s: float = 15.0
    log_level: str = "INFO"
    # The service area's time zone: calendar dates in queries and demo data are read in it.
    time_zone: str = "Asia/Shanghai"
    # The language of pages, messages and errors when neither the user nor the browser picks one.
    default_locale: str = "zh_CN"
    # A map tile server for the board's map, e.g. "https://tiles.example.com/{z}/{x}/{y}.png"
    # (Web Mercator, 256-pixel tiles). Empty: the map is drawn alone and nothing is fetched.
    map_tile_url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read settings from environment variables (or the given mapping)."""
        env = dict(os.environ if env is None else env)
        settings = cls(
            app_env=env.get("APP_ENV") or cls.app_env,
            database_url=env.get("DATABASE_URL") or cls.database_url,
            redis_url=env.get("REDIS_URL") or None,
            rq_queue=env.get("RQ_QUEUE", cls.rq_queue),
            secret_key=env.get("SECRET_KEY") or DEV_SECRET_KEY,
            upload_folder=env.get("UPLOAD_FOLDER") or cls.upload_folder,
            access_token_ttl_s=_int(env, "ACCESS_TOKEN_TTL", cls.access_token_ttl_s),
            device_token_ttl_s=_int(env, "DEVICE_TOKEN_TTL", cls.device_token_ttl_s),
            max_content_length=_int(env, "MAX_CONTENT_LENGTH", cls.max_content_length),
            max_json_body=_int(env, "MAX_JSON_BODY", cls.max_json_body),
            sync_scope_days_ahead=_int(env, "SYNC_SCOPE_DAYS", cls.sync_scope_days_ahead),
            tombstone_retention_days=_int(
                env, "TOMBSTONE_RETENTION_DAYS", cls.tombstone_retention_days
            ),
            rating_link_ttl_days=_int(env, "RATING_LINK_TTL_DAYS", cls.rating_link_ttl_days),
            photo_max_bytes=_int(env, "PHOTO_MAX_BYTES", cls.photo_max_bytes),
            photo_max_pixels=_int(env, "PHOTO_MAX_PIXELS", cls.photo_max_pixels),
            upload_session_ttl_hours=_int(
                env, "UPLOAD_SESSION_TTL_HOURS", cls.upload_session_ttl_hours
            ),
            thumbnail_px=_int(env, "THUMBNAIL_PX", cls.thumbnail_px),
            password_scrypt_n=_int(env, "PASSWORD_SCRYPT_N", cls.password_scrypt_n),
            thumbnail_inline_max_pixels=_int(
                env, "THUMBNAIL_INLINE_MAX_PIXELS", cls.thumbnail_inline_max_pixels
            ),
            public_base_url=(env.get("PUBLIC_BASE_URL") or cls.public_base_url).rstrip("/"),
            rating_rate_limit_per_min=_int(
                env, "RATING_RATE_LIMIT_PER_MIN", cls.rating_rate_limit_per_min
            ),
            kb_rate_limit=env.get("KB_RATE_LIMIT") or cls.kb_rate_limit,
            login_limit_per_account=env.get("LOGIN_LIMIT_PER_ACCOUNT")
            or cls.login_limit_per_account,
            login_limit_per_client=env.get("LOGIN_LIMIT_PER_CLIENT") or cls.login_limit_per_client,
            message_sender=env.get("MESSAGE_SENDER") or cls.message_sender,
            smtp_host=env.get("SMTP_HOST") or cls.smtp_host,
            smtp_port=_int(env, "SMTP_PORT", cls.smtp_port),
            smtp_user=env.get("SMTP_USER") or None,
            smtp_password=env.get("SMTP_PASSWORD") or None,
            smtp_from=env.get("SMTP_FROM") or cls.smtp_from,
            smtp_starttls=env.get("SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
            text_message_sender=env.get("TEXT_MESSAGE_SENDER") or cls.text_message_sender,
            message_webhook_url=env.get("MESSAGE_WEBHOOK_URL") or None,
            message_webhook_secret=env.get("MESSAGE_WEBHOOK_SECRET") or None,
            message_webhook_timeout_s=_float(
                env, "MESSAGE_WEBHOOK_TIMEOUT", cls.message_webhook_timeout_s
            ),
            progress_link_ttl_days=_int(env, "PROGRESS_LINK_TTL_DAYS", cls.progress_link_ttl_days),
            customer_request_limit_per_phone=env.get("CUSTOMER_REQUEST_LIMIT_PER_PHONE")
            or cls.customer_request_limit_per_phone,
            customer_request_limit_per_client=env.get("CUSTOMER_REQUEST_LIMIT_PER_CLIENT")
            or cls.customer_request_limit_per_client,
            customer_windows=env.get("CUSTOMER_WINDOWS") or cls.customer_windows,
            customer_window_days=_int(env, "CUSTOMER_WINDOW_DAYS", cls.customer_window_days),
            complaint_owner_email=env.get("COMPLAINT_OWNER_EMAIL") or None,
            sla_travel_kmh=_int(env, "SLA_TRAVEL_KMH", cls.sla_travel_kmh),
            travel_detour_factor=_float(env, "TRAVEL_DETOUR_FACTOR", cls.travel_detour_factor),
            lunch_earliest=_time(env, "LUNCH_EARLIEST", cls.lunch_earliest),
            lunch_latest=_time(env, "LUNCH_LATEST", cls.lunch_latest),
            lunch_minutes=_int(env, "LUNCH_MINUTES", cls.lunch_minutes),
            sla_complaint_warn_min=_int(env, "SLA_COMPLAINT_WARN_MIN", cls.sla_complaint_warn_min),
            sla_alert_email=env.get("SLA_ALERT_EMAIL") or None,
            sla_check_interval_s=_int(env, "SLA_CHECK_INTERVAL", cls.sla_check_interval_s),
            console_run_seconds=_int(env, "CONSOLE_RUN_SECONDS", cls.console_run_seconds),
            console_progress_poll_ms=_int(
                env, "CONSOLE_PROGRESS_POLL_MS", cls.console_progress_poll_ms
            ),
            solver_search_iterations=_optional_int(env, "SOLVER_SEARCH_ITERATIONS"),
            planner_time_unit_s=_int(env, "PLANNER_TIME_UNIT_S", cls.planner_time_unit_s),
            planner_priority_weights=_int_tuple(
                env, "PLANNER_PRIORITY_WEIGHTS", cls.planner_priority_weights
            ),
            zone_split_min_visits=_int(env, "ZONE_SPLIT_MIN_VISITS", cls.zone_split_min_visits),
            zone_visits=_int(env, "ZONE_VISITS", cls.zone_visits),
            day_start_hour=_int(env, "DAY_START_HOUR", cls.day_start_hour),
            run_heartbeat_s=_float(env, "RUN_HEARTBEAT_INTERVAL", cls.run_heartbeat_s),
            run_stale_after_s=_float(env, "RUN_STALE_AFTER", cls.run_stale_after_s),
            run_stale_check_s=_float(env, "RUN_STALE_CHECK_INTERVAL", cls.run_stale_check_s),
            log_level=env.get("LOG_LEVEL", cls.log_level).upper(),
            time_zone=env.get("SERVICE_TIME_ZONE", cls.time_zone),
            default_locale=(env.get("DEFAULT_LOCALE") or cls.default_locale).replace("-", "_"),
            map_tile_url=(env.get("MAP_TILE_URL") or "").strip() or None,
        )
        settings.check()
        return settings

    def replace(self, **changes: object) -> Settings:
        """A copy with some settings changed (used by tests and commands)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        settings = Settings(**values)  # type: ignore[arg-type]
        settings.check()
        return settings

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def jobs_inline(self) -> bool:
        return self.redis_url is None

    def check(self) -> None:
        """Refuse settings that are unsafe for the environment."""
        if self.app_env not in APP_ENVS:
            raise ConfigError(f"APP_ENV must be one of {', '.join(APP_ENVS)}, got {self.app_env!r}")
        if self.is_production and self.secret_key == DEV_SECRET_KEY:
            raise ConfigError(
                "SECRET_KEY is the development default; set SECRET_KEY before APP_ENV=production"
            )
        if self.is_production and (
            self.secret_key.strip().lower() in WEAK_SECRET_KEYS
            or len(self.secret_key.encode()) < MIN_SECRET_KEY_BYTES
            or len(set(self.secret_key)) < 8
        ):
            raise ConfigError(
                f"SECRET_KEY is too weak for production: use at least {MIN_SECRET_KEY_BYTES} "
                "random bytes (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        n = self.password_scrypt_n
        if n < 2**10 or n & (n - 1):
            raise ConfigError("PASSWORD_SCRYPT_N must be a power of two, at least 1024")
        if self.is_production and n < MIN_PRODUCTION_SCRYPT_N:
            raise ConfigError(
                f"PASSWORD_SCRYPT_N must be at least {MIN_PRODUCTION_SCRYPT_N} in production"
            )
        if self.access_token_ttl_s <= 0 or self.device_token_ttl_s <= 0:
            raise ConfigError("token lifetimes must be positive")
        if self.message_sender not in ("log", "smtp"):
            raise ConfigError("MESSAGE_SENDER must be 'log' or 'smtp'")
        if self.text_message_sender not in ("log", "webhook"):
            raise ConfigError("TEXT_MESSAGE_SENDER must be 'log' or 'webhook'")
        if self.text_message_sender == "webhook" and not (
            self.message_webhook_url and self.message_webhook_secret
        ):
            raise ConfigError(
                "TEXT_MESSAGE_SENDER=webhook needs MESSAGE_WEBHOOK_URL and MESSAGE_WEBHOOK_SECRET"
            )
        if self.progress_link_ttl_days <= 0 or self.customer_window_days <= 0:
            raise ConfigError("PROGRESS_LINK_TTL_DAYS and CUSTOMER_WINDOW_DAYS must be positive")
        customer_windows(self.customer_windows)
        if self.sla_travel_kmh <= 0 or self.sla_check_interval_s <= 0:
            raise ConfigError("SLA_TRAVEL_KMH and SLA_CHECK_INTERVAL must be positive")
        if self.travel_detour_factor < 1.0:
            raise ConfigError("TRAVEL_DETOUR_FACTOR must be at least 1 (roads are never shorter)")
        window = dt.datetime.combine(dt.date.min, self.lunch_latest) - dt.datetime.combine(
            dt.date.min, self.lunch_earliest
        )
        if self.lunch_minutes <= 0 or window < dt.timedelta(minutes=self.lunch_minutes):
            raise ConfigError(
                "LUNCH_MINUTES must be positive and fit between LUNCH_EARLIEST and LUNCH_LATEST"
            )
        if min(self.photo_max_bytes, self.photo_max_pixels, self.thumbnail_inline_max_pixels) <= 0:
            raise ConfigError("photo limits must be positive")
        if self.zone_split_min_visits <= 0 or self.zone_visits <= 0:
            raise ConfigError("ZONE_SPLIT_MIN_VISITS and ZONE_VISITS must be positive")
        if not MIN_PROGRESS_POLL_MS <= self.console_progress_poll_ms <= MAX_PROGRESS_POLL_MS:
            raise ConfigError(
                f"CONSOLE_PROGRESS_POLL_MS must be {MIN_PROGRESS_POLL_MS} to "
                f"{MAX_PROGRESS_POLL_MS} milliseconds"
            )
        if self.solver_search_iterations is not None and self.solver_search_iterations < 1:
            raise ConfigError("SOLVER_SEARCH_ITERATIONS must be a positive integer or empty")
        # the planner's own rule (dispatch.SolverSettings.time_unit_s); sync reads this module
        # and may not import the planner
        if not 0 < self.planner_time_unit_s <= 60 or 60 % self.planner_time_unit_s:
            raise ConfigError("PLANNER_TIME_UNIT_S must be a whole number of seconds dividing 60")
        if len(self.planner_priority_weights) != 5:
            raise ConfigError("PLANNER_PRIORITY_WEIGHTS must be five integers, for priorities 1..5")
        if not 0 <= self.day_start_hour <= 23:
            raise ConfigError("DAY_START_HOUR must be an hour of the day, 0 to 23")
        run_timing = (self.run_heartbeat_s, self.run_stale_after_s, self.run_stale_check_s)
        if not all(math.isfinite(s) for s in run_timing) or min(run_timing) <= 0:
            raise ConfigError(
                "RUN_HEARTBEAT_INTERVAL, RUN_STALE_AFTER and RUN_STALE_CHECK_INTERVAL must be "
                "positive numbers of seconds"
            )
        if self.run_stale_after_s < 2 * self.run_heartbeat_s:
            raise ConfigError("RUN_STALE_AFTER must be at least twice RUN_HEARTBEAT_INTERVAL")
        if self.default_locale not in LOCALES:
            raise ConfigError(f"DEFAULT_LOCALE must be one of {', '.join(LOCALES)}")
        if self.map_tile_url is not None:
            parts = urlsplit(self.map_tile_url)
            placeholders = all(p in self.map_tile_url for p in ("{z}", "{x}", "{y}"))
            if parts.scheme not in ("http", "https") or not parts.netloc or not placeholders:
                raise ConfigError(
                    "MAP_TILE_URL must be an http(s) URL with {z}, {x} and {y}, "
                    "e.g. https://tiles.example.com/{z}/{x}/{y}.png"
                )

    @property
    def map_tile_origin(self) -> str | None:
        """The tile server's origin (the console's content policy lets images load from it)."""
        if self.map_tile_url is None:
            return None
        parts = urlsplit(self.map_tile_url)
        return f"{parts.scheme}://{parts.netloc}"


def customer_windows(raw: str) -> list[tuple[dt.time, dt.time]]:
    """The windows of CUSTOMER_WINDOWS ("09:00-12:00,13:00-17:00"), checked."""
    windows = []
    for part in raw.split(","):
        start, _, end = part.strip().partition("-")
        try:
            window = (dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip()))
        except ValueError as exc:
            raise ConfigError(
                f"CUSTOMER_WINDOWS must read like 09:00-12:00,13:00-17:00, got {raw!r}"
            ) from exc
        if window[1] <= window[0]:
            raise ConfigError(f"CUSTOMER_WINDOWS: {part.strip()} ends before it starts")
        windows.append(window)
    return windows


_active: Settings | None = None


def activate(settings: Settings) -> None:
    """Make `settings` the process's settings (the app factory does this once)."""
    global _active
    _active = settings


def active_settings() -> Settings:
    """The settings the process runs with: the app's, else read from the environment.

    For code reached from several entry points (HTTP, sync push, jobs) that cannot be handed
    settings explicitly, such as the rules reacting to domain events.
    """
    return _active if _active is not None else Settings.from_env()
