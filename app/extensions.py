"""Extension objects created once and bound to the app in the factory."""

from __future__ import annotations

from flask_compress import Compress
from flask_migrate import Migrate

from app.api.errors import FieldServiceApi

api = FieldServiceApi()
migrate = Migrate()
# Phones on slow networks: JSON, scripts and styles travel compressed when the client asks.
compress = Compress()
