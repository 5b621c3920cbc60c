"""The audit log is append-only: rows are never changed nor deleted, but by the privacy scrub

Revision ID: d8e9f0a1b2c3
Revises: c7d8e9f0a1b2
Create Date: 2026-11-26 15:00:00.000000

A trigger refuses every UPDATE, DELETE and TRUNCATE of ``audit_entry``, so that no bug or
injected statement of the application can rewrite who did what. Two changes stay possible:
an author or organisation deleted sets its reference to NULL (the foreign keys' ON DELETE
SET NULL, nothing else of the row changing), and a transaction that declares a rewrite with
``set_config('hosting_app.audit_rewrite', <reason>, true)`` — the GDPR erasure, which must take
a person's data out of the log too, and a backup that failed withdrawing its own entry.
The database's owner can still drop the trigger: this protects from the application, not
from the database administrator.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d8e9f0a1b2c3"
down_revision: str | None = "c7d8e9f0a1b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUARD = """
CREATE FUNCTION audit_entry_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    rewrite text := coalesce(current_setting('hosting_app.audit_rewrite', true), '');
BEGIN
    IF rewrite <> '' THEN
        RETURN CASE TG_OP WHEN 'DELETE' THEN OLD WHEN 'UPDATE' THEN NEW ELSE NULL END;
    END IF;
    IF TG_OP = 'UPDATE'
       AND to_jsonb(NEW) - 'user_id' - 'organisation_id'
           = to_jsonb(OLD) - 'user_id' - 'organisation_id'
       AND (NEW.user_id IS NULL OR NEW.user_id = OLD.user_id)
       AND (NEW.organisation_id IS NULL OR NEW.organisation_id = OLD.organisation_id) THEN
        RETURN NEW;  -- a deleted author or organisation (ON DELETE SET NULL)
    END IF;
    RAISE EXCEPTION 'audit_entry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Only a declared rewrite (hosting_app.audit_rewrite) may change it.';
END
$$
"""

TRIGGERS = (
    "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
    "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()",
)


def upgrade() -> None:
    op.execute(GUARD)
    for trigger in TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_entry_no_truncate ON audit_entry")
    op.execute("DROP TRIGGER audit_entry_append_only ON audit_entry")
    op.execute("DROP FUNCTION audit_entry_append_only()")
