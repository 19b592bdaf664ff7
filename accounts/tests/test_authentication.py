"""API token authentication: the token and its user in one plain-SQL statement, DRF's answers kept."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIClient

from accounts.authentication import TokenAuthentication
from accounts.models import User
from inventory.models import Product
from inventory.tests.factories import ProductFactory

from .factories import CustomerFactory, StoreFactory

pytestmark = pytest.mark.django_db


def test_a_token_and_its_user_are_read_in_one_query_as_the_orm_reads_them():
    user = CustomerFactory(name="Casey")
    User.objects.filter(pk=user.pk).update(last_login=user.date_joined)
    token = Token.objects.create(user=user)

    with CaptureQueriesContext(connection) as queries:
        found_user, found_token = TokenAuthentication().authenticate_credentials(token.key)
        assert found_token.user is found_user  # no query for token.user

    assert len(queries) == 1
    expected = User.objects.get(pk=user.pk)
    for field in User._meta.concrete_fields:
        assert getattr(found_user, field.attname) == getattr(expected, field.attname), field.name
    assert found_user.last_login.tzinfo is not None
    assert (found_token.key, found_token.user_id, found_token.created) == (token.key, user.pk, token.created)
    assert not found_user._state.adding


def test_unknown_token_and_inactive_user_are_refused_with_drfs_messages():
    user = CustomerFactory(is_active=False)
    token = Token.objects.create(user=user)

    with pytest.raises(AuthenticationFailed, match=r"^Invalid token\.$"):
        TokenAuthentication().authenticate_credentials("0" * 40)
    with pytest.raises(AuthenticationFailed, match=r"^User inactive or deleted\.$"):
        TokenAuthentication().authenticate_credentials(token.key)


def test_the_api_answers_tokens_through_it():
    user = CustomerFactory()
    token = Token.objects.create(user=user)
    api = APIClient()

    assert api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}").json()["email"] == user.email
    response = api.get("/api/v1/me/", HTTP_AUTHORIZATION="Token " + "0" * 40)
    # 403, not 401: the first authentication class (sessions) sends no WWW-Authenticate header.
    assert response.status_code == 403
    assert response.json()["detail"] == "Invalid token."


def test_model_columns_build_what_the_orm_reads_with_the_databases_converters():
    # Decimals, dates and aware datetimes come back as the ORM gives them on either database.
    from accounts.models import Store
    from accounts.rawsql import ModelColumns, fetch_all

    product = ProductFactory(store=StoreFactory(), sale_price=None)
    products, stores = ModelColumns(Product, "p"), ModelColumns(Store, "s")
    qn = connection.ops.quote_name
    [row] = fetch_all(
        f"SELECT {products.sql}, {stores.sql} FROM {qn(Product._meta.db_table)} p "  # noqa: S608
        f"JOIN {qn(Store._meta.db_table)} s ON s.id = p.store_id WHERE p.id = %s",
        [product.pk],
    )
    built, built_store = products.build(row), stores.build(row, products.width)

    for model, instance, expected in (
        (Product, built, Product.objects.get(pk=product.pk)),
        (Store, built_store, Store.objects.get(pk=product.store_id)),
    ):
        for field in model._meta.concrete_fields:
            value, wanted = getattr(instance, field.attname), getattr(expected, field.attname)
            assert (type(value), value) == (type(wanted), wanted), field.name
