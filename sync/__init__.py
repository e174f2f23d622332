"""Offline delta sync for technician phones: change feed, scope, pull, push, reference client.

Speaks to the database (SQLAlchemy, `app.models`, `app.services`) and never to HTTP: the
`mobile_api` package wraps it in endpoints.
"""
