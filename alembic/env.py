"""Alembic environment: the schema is mockexam.models' metadata.

The URL comes from `-x url=…`, then the config's `sqlalchemy.url` (tests set
it), then `DATABASE_URL` through mockexam.config.settings.
"""

from alembic import context
from sqlalchemy import pool

from mockexam.config import settings
from mockexam.db import get_engine
from mockexam.models import metadata

config = context.config
target_metadata = metadata


def _url() -> str:
    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or settings.database_url
    )


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = get_engine(_url())
        with engine.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_ = pool  # kept for the Alembic template's imports
if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
