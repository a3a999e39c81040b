"""Alembic environment: always handed a live connection by `queue_server.store.db`."""

from alembic import context

from queue_server.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
