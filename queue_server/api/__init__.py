"""The HTTP API: every route lives under one prefix."""

API_PREFIX = "/api/v1"
