"""Alembic environment: runs online against the engine cocourse hands over."""

from alembic import context

from cocourse.models import Base
from cocourse.page_versions import UNTRACKED

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    # Schema changes and their data fills change no page a server has cached: servers
    # restart on an upgrade, and the page_version table may not exist yet.
    connection.execution_options(**{UNTRACKED: True})
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
