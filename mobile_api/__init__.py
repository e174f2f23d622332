"""The HTTP surface the technicians' phones use: device auth, sync, uploads."""
