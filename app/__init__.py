"""The application factory: the only place that wires everything together."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, g, request, send_from_directory
from werkzeug.routing import IntegerConverter

from app.config import INSTANCE_DIR, MIGRATIONS_DIR, Settings, activate
from app.database import db
from app.faults import FieldServiceFlask

log = logging.getLogger("app")


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask app from `settings` (default: the environment)."""
    settings = settings or Settings.from_env()
    _configure_logging(settings)

    app = FieldServiceFlask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.update(_flask_config(settings))
    app.url_map.converters["int"] = RecordId
    app.extensions["settings"] = settings
    activate(settings)
    from app.services.travel import check_planner_settings

    check_planner_settings(settings)

    db.configure(settings.database_url)
    app.teardown_appcontext(_remove_session)

    from app.api import register_blueprints
    from app.api.errors import register_error_handlers
    from app.extensions import api, compress, limiter, migrate

    compress.init_app(app)
    api.init_app(app, spec_kwargs={"marshmallow_plugin": _marshmallow_plugin()})
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "opaque token"}
    )
    register_blueprints(api)

    from mobile_api import register as register_mobile_api

    register_mobile_api(api)
    register_error_handlers(app)
    from app.i18n.web import init_app as init_translations

    init_translations(app, settings)
    limiter.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    _register_docs_assets(app)

    from app.console import register_console

    register_console(app)

    from app.tech import register_tech_app

    register_tech_app(app)
    _register_request_guards(app, settings)

    from app.cli import register_commands

    register_commands(app)
    log.info(
        "app ready: env=%s database=%s jobs=%s",
        settings.app_env,
        _redact(settings.database_url),
        "inline" if settings.jobs_inline else f"rq queue {settings.rq_queue!r}",
    )
    return app


class RecordId(IntegerConverter):
    """Path ids fit a database integer; a larger one cannot name a record, so it is a 404."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def _flask_config(settings: Settings) -> dict[str, Any]:
    return {
        "SECRET_KEY": settings.secret_key,
        "MAX_CONTENT_LENGTH": settings.max_content_length,
        # The console's session cookie: never sent on cross-site requests, HTTPS-only in production.
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.is_production,
        # Rate limits and login throttling (app/services/rate_limit.py) count here.
        "RATELIMIT_STORAGE_URI": settings.redis_url or "memory://",
        "RATELIMIT_KEY_PREFIX": "fieldservice",
        "API_TITLE": "Field Service API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        # Flask-Compress: text answers over 500 bytes, gzip or brotli as the client accepts.
        "COMPRESS_MIMETYPES": [
            "application/json",
            "application/manifest+json",
            "text/javascript",
            "text/css",
            "text/html",
        ],
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIN_SIZE": 500,
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        # Served by this app: the machines running it may have no internet access.
        "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",
        "API_SPEC_OPTIONS": {
            "info": {
                "description": "Back-office, dispatcher and mobile sync API of the field-service "
                "backend. Errors share one format: {status, code, message, errors}."
            }
        },
    }


def _marshmallow_plugin() -> Any:
    import marshmallow as ma
    from apispec.ext.marshmallow import MarshmallowPlugin
    from apispec.ext.marshmallow.common import resolve_schema_cls

    def schema_name(schema: Any) -> str:
        # One schema class serves create (full) and update (partial): name them apart.
        name = resolve_schema_cls(schema).__name__.removesuffix("Schema")
        if isinstance(schema, ma.Schema) and schema.partial:
            name += "Patch"
        return name

    return MarshmallowPlugin(schema_name_resolver=schema_name)


def _register_docs_assets(app: Flask) -> None:
    from swagger_ui_bundle import swagger_ui_path

    @app.get("/api/docs/assets/<path:filename>")
    def swagger_assets(filename: str) -> Response:
        return send_from_directory(str(swagger_ui_path), filename)

    swagger_assets._roles = frozenset()  # type: ignore[attr-defined]


def _register_request_guards(app: Flask, settings: Settings) -> None:
    from app.api.contract import refuse_undocumented
    from app.api.errors import error_response
    from app.api.json_body import check_json_body
    from app.redaction import redact_tokens

    @app.before_request
    def _check_body() -> Any:
        g.started = time.perf_counter()
        length = request.content_length
        # Refuse before reading: a view that never touches the body would otherwise accept it.
        if length is not None and length > settings.max_content_length:
            return error_response(
                413,
                "body_too_large",
                f"request bodies are limited to {settings.max_content_length} bytes",
            )
        if request.is_json and length is not None and length > settings.max_json_body:
            return error_response(
                413,
                "body_too_large",
                f"JSON bodies are limited to {settings.max_json_body} bytes",
            )
        if request.is_json and request.method not in ("GET", "HEAD", "OPTIONS"):
            check_json_body(request.get_data(cache=True))
        return None

    @app.before_request
    def _check_against_document() -> None:
        # Unknown query parameters are refused as unknown body fields are: a misspelt filter
        # would otherwise be dropped silently and answer as if no filter had been asked. A
        # required body left out would read as an empty object.
        if request.url_rule is not None and request.path.startswith(("/api/", "/mobile/")):
            refuse_undocumented(
                app, request.url_rule.rule, request.method, request.args, _small_body()
            )

    @app.after_request
    def _log_request(response: Response) -> Response:
        elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log.info(
            "%s %s -> %s in %.1f ms (user %s)",
            request.method,
            redact_tokens(request.full_path.rstrip("?")),
            response.status_code,
            elapsed_ms,
            g.get("user_id", "-"),
        )
        return response


def _remove_session(_exc: BaseException | None) -> None:
    db.release()


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger().setLevel(settings.log_level)
    # Alembic announces every plugin it loads at INFO; keep its migrations' own lines only.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _redact(url: str) -> str:
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.split('@', 1)[1]}"


def _small_body() -> bytes:
    """The body when it is small enough to hold (the size guard ran first), else a marker."""
    length = request.content_length
    if length is not None and length > 64:
        return b"(body)"  # present: no need to read an upload into memory here
    return request.get_data(cache=True)
