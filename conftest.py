"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest

from accounts.sms import LocMemSMSBackend


@pytest.fixture(autouse=True)
def _clean_outboxes(settings, tmp_path):
    """Each test starts with empty SMS outbox, and files go to a per-test folder."""
    LocMemSMSBackend.outbox.clear()
    settings.SMS_FILE_PATH = str(tmp_path / "sms.log")
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    yield
    LocMemSMSBackend.outbox.clear()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    return


@pytest.fixture
def store(db):
    from accounts.tests.factories import StoreFactory

    return StoreFactory()


@pytest.fixture
def other_store(db):
    from accounts.tests.factories import StoreFactory

    return StoreFactory()


@pytest.fixture
def customer(db):
    from accounts.tests.factories import CustomerFactory

    return CustomerFactory()


@pytest.fixture
def retailer(store):
    from accounts.tests.factories import retailer_of

    return retailer_of(store)


@pytest.fixture
def other_retailer(other_store):
    from accounts.tests.factories import retailer_of

    return retailer_of(other_store)


@pytest.fixture
def agent(db):
    from accounts.tests.factories import AgentFactory

    return AgentFactory()


@pytest.fixture
def ops_user(db):
    from accounts.tests.factories import OpsFactory

    return OpsFactory()
