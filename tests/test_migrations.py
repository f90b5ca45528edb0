"""Migrations are complete and reversible."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

APPS = ["sites", "accounts", "comments", "reports", "review"]


def test_models_and_migrations_agree(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_migrations_unwind_to_zero_and_back():
    executor = MigrationExecutor(connection)
    # Every app's leaf, ours and Django's: unwinding sites and accounts unwinds the
    # apps that depend on them too (importers, webhooks, …), and all must come back.
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate([(app, None) for app in reversed(APPS)])
    tables = set(connection.introspection.table_names())
    assert "comments_comment" not in tables and "sites_site" not in tables
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(leaves)
    assert {"comments_comment", "sites_site", "review_auditentry"} <= set(
        connection.introspection.table_names()
    )
