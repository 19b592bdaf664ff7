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


@pytest.fixture
def roles_restored(django_db_blocker):
    """Put the role Groups back after a ``transactional_db`` test's flush.

    Request it BEFORE ``transactional_db`` in the test's arguments: fixtures tear down in
    reverse order, so the flush runs first and this restore second.
    """
    yield
    with django_db_blocker.unblock():
        _restore_roles()
