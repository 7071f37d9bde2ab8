"""Alembic migration scripts of quantbot's database (run through quantbot.storage.migration)."""
