"""Users' TOTP secrets sealed with a key held outside the database

Revision ID: c7d8e9f0a1b2
Revises: b6c7d8e9f0a1
Create Date: 2026-11-26 15:10:00.000000

The secrets were stored in clear: anyone holding a copy of the database (a backup, a replica)
had every account's second factor. They are now Fernet tokens made with the app's TOTP_KEYS
(``instance/totp_key`` by default); this migration seals the secrets already stored, with the
keys of the app that runs it, and the downgrade opens them again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c7d8e9f0a1b2"
down_revision: str | None = "b6c7d8e9f0a1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_USERS = sa.table("app_user", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String))


def _convert(change) -> None:
    """Apply ``change`` to every stored secret (keys are only looked for when there is one)."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_USERS.c.id, _USERS.c.totp_secret).where(_USERS.c.totp_secret.is_not(None))
    ).all()
    if not rows:
        return
    from flask import current_app, has_app_context

    if has_app_context():
        keys = current_app.config["TOTP_KEYS"]
    else:
        from hosting_app import create_app

        keys = create_app().config["TOTP_KEYS"]
    for user_id, secret in rows:
        connection.execute(
            sa.update(_USERS).where(_USERS.c.id == user_id).values(totp_secret=change(secret, keys))
        )


def upgrade() -> None:
    from hosting_app.auth.twofactor import seal

    op.alter_column("app_user", "totp_secret", type_=sa.String(255),
                    existing_type=sa.String(64), existing_nullable=True)  # fmt: skip
    _convert(lambda secret, keys: seal(secret, keys=keys))


def downgrade() -> None:
    from hosting_app.auth.twofactor import unseal

    _convert(lambda stored, keys: unseal(stored, keys=keys))
    op.alter_column("app_user", "totp_secret", type_=sa.String(64),
                    existing_type=sa.String(255), existing_nullable=True)  # fmt: skip
