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


OUR_APPS = ("accounts", "inventory", "tickets", "chatbot", "webhooks")


def _replay_data_migrations() -> None:
    """Run our apps' data migrations (RunPython) again against the migrated schema.

    Transactional tests (live server, real workers) end with a flush that empties every
    table, including the role groups and permissions our data migrations created. Those
    functions are idempotent, so replaying them restores what every later test expects.
    (pytest-django's serialized_rollback does not survive the live_server fixture.)
    """
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations.special import RunPython

    loader = MigrationLoader(connection)
    leaves = loader.graph.leaf_nodes()
    state_apps = loader.project_state(leaves).apps
    plan = []
    for leaf in leaves:
        plan.extend(node for node in loader.graph.forwards_plan(leaf) if node not in plan)
    for app_label, name in plan:
        if app_label not in OUR_APPS:
            continue
        for operation in loader.graph.nodes[(app_label, name)].operations:
            if isinstance(operation, RunPython):
                operation.code(state_apps, None)


@pytest.fixture(autouse=True)
def _data_migrations_present(request):
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        yield
        return
    request.getfixturevalue("transactional_db")
    from django.contrib.auth.models import Group

    if not Group.objects.filter(name="customer").exists():
        _replay_data_migrations()
    yield


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


# --- real browser ---------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless Chromium driven by Playwright (which never downloads a browser here)."""
    import os

    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make browser-deps` installs it")
        pytest.skip(f"{CHROMIUM} not installed (make browser-deps)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous calls.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium, live_server):
    """Open a fresh browser context (own cookies) at a viewport; closed after the test."""
    contexts = []

    def open_page(viewport=DESKTOP):
        context = chromium.new_context(viewport=viewport, base_url=live_server.url)
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def browser_login(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Replay the data migrations once a committed-for-real test has been torn down.

    ``_data_migrations_present`` repairs the database before a transactional test, but the
    flush at the end of the last one would otherwise leave the role groups missing for the
    plain tests that follow and for the next ``--reuse-db`` run. Only when the database
    fixture really ran: before the test database exists the connection still points at the
    development database.
    """
    marker = item.get_closest_marker("django_db")
    transactional = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    transactional = transactional or bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))
    set_up = bool(getattr(item, "funcargs", None))  # empty when the test was skipped before its fixtures
    committed = transactional and set_up
    result = yield
    if committed:
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            _replay_data_migrations()
    return result
