"""Fixtures for inventory tests."""

from __future__ import annotations

import importlib

import pytest


def _restore_roles() -> None:
    """Re-create the role Groups and their permissions that migrations created.

    A ``transaction=True`` test ends with a flush of every table; Django re-creates content
    types and permissions (post_migrate) but not the Groups the data migrations made, and
    with ``--reuse-db`` later runs would start without them. Each migration that grants
    role permissions declares them in a ``ROLE_PERMISSIONS`` dict, which we replay here.
    """
    from django.contrib.auth.models import Group, Permission
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    for app_label, name in loader.disk_migrations:
        module = importlib.import_module(f"{loader.migrations_module(app_label)[0]}.{name}")
        for role, codenames in getattr(module, "ROLE_PERMISSIONS", {}).items():
            group, _ = Group.objects.get_or_create(name=role)
            group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a test that committed for real (thread races, the live server) has been torn
    down, including ``transactional_db``'s final flush, put the role Groups back so the
    following tests, and the next ``--reuse-db`` run, find them."""
    # Only when the database fixture really ran (not for a skipped test: before the test
    # database exists the connection would still point at the development database).
    committed = "transactional_db" in (getattr(item, "funcargs", None) or {})
    result = yield
    if committed:
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            _restore_roles()
    return result


@pytest.fixture
def roles_restored(transactional_db):
    """A committed-for-real database with the role Groups present (a previous test's flush
    may have removed them; see ``pytest_runtest_teardown`` above)."""
    _restore_roles()
