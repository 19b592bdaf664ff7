"""The back office: customers are kept out, retailers see only their own store."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import Notification, Store

pytestmark = pytest.mark.django_db


def test_customer_cannot_open_the_admin(client, customer):
    client.force_login(customer)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    response = client.get(reverse("admin:accounts_store_changelist"))
    assert response.status_code == 302


def test_retailer_sees_only_their_own_store(client, retailer, store, other_store):
    client.force_login(retailer)

    response = client.get(reverse("admin:accounts_store_changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [store]


def test_retailer_gets_404_for_another_store(client, retailer, other_store):
    client.force_login(retailer)
    for name in ("change", "history", "delete"):
        response = client.get(reverse(f"admin:accounts_store_{name}", args=[other_store.pk]))
        assert response.status_code in (403, 404), name
    assert client.get(reverse("admin:accounts_store_change", args=[other_store.pk])).status_code == 404


def test_retailer_cannot_rename_their_store_or_change_another(client, retailer, store, other_store):
    client.force_login(retailer)
    url = reverse("admin:accounts_store_change", args=[store.pk])
    response = client.post(url, {"alert_emails": "a@example.com, not-an-email", "monthly_budget": "10"})
    assert response.status_code == 200
    assert "alert_emails" in response.context["adminform"].form.errors
    store.refresh_from_db()
    assert store.monthly_budget == 1000

    response = client.post(url, {"alert_emails": "a@example.com", "monthly_budget": "250.00"})
    assert response.status_code == 302
    store.refresh_from_db()
    assert (store.alert_emails, str(store.monthly_budget), store.name) == ("a@example.com", "250.00", store.name)

    response = client.post(
        reverse("admin:accounts_store_change", args=[other_store.pk]),
        {"alert_emails": "evil@example.com", "monthly_budget": "1"},
    )
    assert response.status_code == 404
    other_store.refresh_from_db()
    assert other_store.alert_emails != "evil@example.com"


def test_retailer_cannot_add_stores(client, retailer):
    client.force_login(retailer)
    response = client.post(reverse("admin:accounts_store_add"), {"name": "Mine", "slug": "mine", "monthly_budget": "0"})
    assert response.status_code == 403
    assert not Store.objects.filter(slug="mine").exists()


def test_outbox_is_scoped_to_the_retailers_store(client, retailer, store, other_store):
    mine = services.notify(channel="email", recipient="a@example.com", body="x", idempotency_key="k1", store=store)
    theirs = services.notify(
        channel="email", recipient="b@example.com", body="y", idempotency_key="k2", store=other_store
    )
    client.force_login(retailer)

    response = client.get(reverse("admin:accounts_notification_changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [mine]
    assert client.get(reverse("admin:accounts_notification_change", args=[mine.pk])).status_code == 200
    assert client.get(reverse("admin:accounts_notification_change", args=[theirs.pk])).status_code == 404


def test_ops_sees_every_store_and_the_whole_outbox(client, ops_user, store, other_store):
    services.notify(channel="email", recipient="a@example.com", body="x", idempotency_key="k1", store=store)
    services.notify(channel="email", recipient="b@example.com", body="y", idempotency_key="k2")
    client.force_login(ops_user)
    assert set(client.get(reverse("admin:accounts_store_changelist")).context["cl"].queryset) == {store, other_store}
    assert client.get(reverse("admin:accounts_notification_changelist")).context["cl"].result_count == 2


def test_outbox_admin_escapes_user_text(client, ops_user):
    services.notify(
        channel="email", recipient="a@example.com", subject="<script>alert(1)</script>", body="x", idempotency_key="xss"
    )
    client.force_login(ops_user)
    page = client.get(reverse("admin:accounts_notification_changelist")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_outbox_list_query_count_does_not_grow_with_rows(client, ops_user, store, django_assert_max_num_queries):
    for i in range(30):
        services.notify(channel="email", recipient=f"{i}@example.com", body="x", idempotency_key=f"q{i}", store=store)
    client.force_login(ops_user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:accounts_notification_changelist"))
    assert response.status_code == 200
    assert Notification.objects.count() == 30
