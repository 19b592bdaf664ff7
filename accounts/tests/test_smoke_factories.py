import pytest


@pytest.mark.django_db
def test_factories_build_users_with_roles(customer, retailer, store):
    assert customer.is_customer
    assert not customer.is_staff
    assert retailer.is_retailer
    assert list(retailer.stores.all()) == [store]
