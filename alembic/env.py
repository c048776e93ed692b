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
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch operation copies a table, drops the old one and renames the copy.
        # mockexam.db turns foreign keys on, and then the DROP fails as soon as
        # another table's rows point at the old one (examitem ← answer in 0009).
        # Off for the migration (on the driver's connection: the PRAGMA is a no-op
        # inside a transaction, and mockexam.db begins one for every statement),
        # every reference checked after it, on again at the end.
        _driver_pragma(connection, "foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"The migration left broken foreign keys: {broken[:5]}")
    finally:
        if sqlite:
            if connection.in_transaction():
                connection.rollback()  # the check's read, or a failed migration's rest
            _driver_pragma(connection, "foreign_keys=ON")


def _driver_pragma(connection, pragma: str) -> None:
    if connection.in_transaction():
        connection.commit()
    connection.connection.dbapi_connection.execute(f"PRAGMA {pragma}")


_ = pool  # kept for the Alembic template's imports
if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
