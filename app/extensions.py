"""Extension objects created once and bound to the app in the factory."""

from __future__ import annotations

from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate

from app.api.errors import FieldServiceApi

api = FieldServiceApi()
migrate = Migrate()
# Phones on slow networks: JSON, scripts and styles travel compressed when the client asks.
compress = Compress()
# Storage: Redis when REDIS_URL is set, memory otherwise (see app/__init__._flask_config).
limiter = Limiter(key_func=get_remote_address)
