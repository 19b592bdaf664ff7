"""Sign-up, log-in (with lockout), profile and password reset pages."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from accounts.models import Notification, User

from .factories import PASSWORD

pytestmark = pytest.mark.django_db

GOOD_SIGNUP = {
    "email": "new@example.com",
    "name": "New Person",
    "password1": "a-long-unusual-passphrase",
    "password2": "a-long-unusual-passphrase",
}


def test_signup_creates_a_customer_and_logs_them_in(client):
    response = client.post(reverse("accounts:signup"), GOOD_SIGNUP)

    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.is_customer
    assert not user.is_staff
    assert user.check_password("a-long-unusual-passphrase")
    assert client.session[SESSION_KEY] == str(user.pk)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email": "TAKEN@example.com"}, "email", "already exists"),
        ({"password1": "short", "password2": "short"}, "password1", "too short"),
        ({"password1": "password123", "password2": "password123"}, "password1", "too common"),
        ({"password2": "something-else-entirely"}, "password2", "differ"),
        ({"email": ""}, "email", "required"),
        ({"name": ""}, "name", "required"),
        ({"email": "not-an-email"}, "email", "valid email"),
    ],
)
def test_signup_bad_input_shows_errors_and_creates_nothing(client, change, field, message):
    User.objects.create_user(email="taken@example.com", password=PASSWORD)
    before = User.objects.count()

    response = client.post(reverse("accounts:signup"), {**GOOD_SIGNUP, **change})

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field]).lower()
    assert User.objects.count() == before
    assert SESSION_KEY not in client.session


def test_login_with_email_is_case_insensitive(client, customer):
    response = client.post(reverse("accounts:login"), {"username": customer.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(customer.pk)


def test_login_rotates_the_session(client, customer):
    client.get(reverse("accounts:login"))
    client.session["probe"] = 1
    before = client.session.session_key
    client.post(reverse("accounts:login"), {"username": customer.email, "password": PASSWORD})
    assert client.session.session_key != before


def test_lockout_after_repeated_failures(client, customer, settings):
    url = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"username": customer.email, "password": "wrong-password"})
        assert response.status_code == 200
        assert response.context["form"].errors

    response = client.post(url, {"username": customer.email, "password": "wrong-password"})
    assert response.status_code == 429
    assert b"Too many failed log-in attempts" in response.content

    # Even the right password is refused during the cool-off
    response = client.post(url, {"username": customer.email, "password": PASSWORD})
    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    assert AccessAttempt.objects.filter(username=customer.email).exists()


def test_profile_requires_login(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_profile_update_and_bad_phone(client, customer):
    client.force_login(customer)
    url = reverse("accounts:profile")

    response = client.post(url, {"name": "Casey", "phone": "0612", "sms_opt_in": "on"})
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    customer.refresh_from_db()
    assert not customer.sms_opt_in

    response = client.post(url, {"name": "Casey", "phone": "+31612345678", "sms_opt_in": "on"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.phone, customer.sms_opt_in) == ("Casey", "+31612345678", True)


def test_password_reset_goes_through_the_outbox_and_works_once(client, customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": customer.email})
    assert response.status_code == 302
    notification = Notification.objects.get()
    assert notification.recipient == customer.email
    assert notification.status == Notification.Status.SENT
    assert len(mail.outbox) == 1

    link = re.search(r"http://[^\s]+/accounts/password/reset/[^\s]+/", mail.outbox[0].body).group(0)
    path = link.split("127.0.0.1:8000", 1)[1]
    response = client.get(path, follow=True)
    assert response.status_code == 200
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "brand-new-passphrase", "new_password2": "brand-new-passphrase"},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.check_password("brand-new-passphrase")
    # The link is spent
    response = client.get(path, follow=True)
    assert b"does not work any more" in response.content


def test_password_reset_for_unknown_email_sends_nothing_and_reveals_nothing(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert Notification.objects.count() == 0


def test_navbar_shows_what_the_role_can_do(client, customer, retailer):
    client.force_login(customer)
    page = client.get(reverse("home")).content.decode()
    assert "Back office" not in page
    assert "Log out" in page

    client.force_login(retailer)
    page = client.get(reverse("home")).content.decode()
    assert "Back office" in page


def test_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "find that page" in response.content.decode()


def test_pages_carry_a_strict_script_policy(client):
    policy = client.get(reverse("home"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "frame-ancestors 'none'" in policy
