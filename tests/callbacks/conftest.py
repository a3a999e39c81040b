"""The server's app fixtures (SQLite and PostgreSQL through `db_url`) for these tests."""

from tests.server.conftest import api, make_app  # noqa: F401
