"""Password hashing as deployed: Argon2id first (settings.base), older hashes still accepted and
upgraded at the next log-in. The test settings hash with MD5 for speed, so these tests switch to
the deployed list explicitly."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, identify_hasher, make_password
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from helpdesk_project.settings import base

from .factories import PASSWORD, CustomerFactory

pytestmark = pytest.mark.django_db

deployed_hashers = override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS)


@deployed_hashers
def test_new_passwords_are_hashed_with_argon2id():
    encoded = make_password("a-long-enough-passphrase")

    assert encoded.startswith("argon2$argon2id$")
    assert check_password("a-long-enough-passphrase", encoded)
    assert not check_password("a-wrong-passphrase", encoded)


@deployed_hashers
def test_an_older_pbkdf2_hash_still_logs_in_and_is_upgraded_to_argon2(client):
    customer = CustomerFactory()
    User.objects.filter(pk=customer.pk).update(password=PBKDF2PasswordHasher().encode(PASSWORD, "somesalt123"))

    response = client.post(reverse("accounts:login"), {"username": customer.email, "password": PASSWORD})

    assert response.status_code == 302
    customer.refresh_from_db()
    assert identify_hasher(customer.password).algorithm == "argon2"
    assert customer.check_password(PASSWORD)


@deployed_hashers
def test_a_wrong_password_does_not_touch_the_stored_hash(client):
    customer = CustomerFactory()
    old = PBKDF2PasswordHasher().encode(PASSWORD, "somesalt123")
    User.objects.filter(pk=customer.pk).update(password=old)

    response = client.post(reverse("accounts:login"), {"username": customer.email, "password": "not-the-password"})

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.password == old
