"""Every configuration fact the help centre states is the shop's configuration, and no article
promises a feature the shop does not have (issue 21, must fix 2)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import StoreFactory
from chatbot.engine import load_articles
from chatbot.facts import FACTS, PLACEHOLDER_RE, render_facts
from chatbot.rendering import markdown_to_text
from inventory.models import Order, StoreShipping
from inventory.services import pricing

pytestmark = pytest.mark.django_db

# Claims of things this shop does not do. Each phrase was in the help centre and is false here.
UNTRUE = [
    r"\bVisa\b",
    r"Mastercard",
    r"Maestro",
    r"3-D Secure",
    r"handling fee",
    r"Continue as guest",
    r"prepaid (return )?label",
    r"we email a (prepaid )?label",
    r"tracking link",
    r"Express delivery",
    r"€29",
    r"€9\.95",
    r"select the locker",
    r"Download invoice",
    r"Discount or gift card",
    r"can be combined with a discount code",
    r"My account →",  # the menu says "My orders", "Returns", "Profile"
    r"Close account",
    r"Downloads\*\* section",
    r"refund the difference",
    r"newsletters",
]


def rendered() -> dict[str, str]:
    return {a.slug: markdown_to_text(a.body) for a in load_articles()}


@pytest.fixture
def shops():
    corner = StoreFactory(name="Corner Shop")
    garden = StoreFactory(name="Garden Goods")
    StoreShipping.objects.create(
        store=corner,
        delivery_fee=Decimal("4.95"),
        free_delivery_threshold=Decimal("50.00"),
        pickup_hours="Mon-Sat 9-18",
    )
    StoreShipping.objects.create(store=garden, delivery_fee=Decimal("6.95"), pickup_hours="Tue-Sun 8:30-17:30")
    return corner, garden


def test_every_placeholder_in_the_content_is_a_known_fact_and_none_survives_rendering(shops):
    for article in load_articles():
        names = set(PLACEHOLDER_RE.findall(article.body))
        assert names <= FACTS.keys(), article.slug
        assert "{{" not in render_facts(article.body), article.slug


NEGATION = re.compile(r"\b(do not|does not|cannot|not yet|no longer)\b")


def claims(text: str) -> list[str]:
    """The sentences of ``text`` that affirm something (saying what the shop does *not* do is true)."""
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if not NEGATION.search(s)]


def test_no_article_promises_a_feature_the_shop_does_not_have(shops):
    for slug, text in rendered().items():
        for sentence in claims(text):
            for pattern in UNTRUE:
                assert not re.search(pattern, sentence), f"{slug}: {sentence}"


def test_the_untrue_list_catches_the_old_claims():
    old = "Online by card: Visa, Mastercard and Maestro, with 3-D Secure. We email a prepaid label."
    assert len([p for p in UNTRUE for s in claims(old) if re.search(p, s)]) == 5
    assert claims("We do not send prepaid return labels.") == []


def test_payment_methods_are_the_ones_checkout_offers(shops):
    text = rendered()["payment-methods"]

    labels = [label.lower() for label in Order.PaymentMethod.labels]
    assert text.startswith(f"You can pay by {' and '.join(labels)};")
    for label in Order.PaymentMethod.labels:
        assert f"{label}:" in text
    assert "We do not take card payments online, gift cards" in text


def test_delivery_fees_and_threshold_are_each_stores_rules_and_follow_a_change(shops):
    corner, garden = shops
    text = rendered()["shipping-costs"]
    assert "at Corner Shop delivery costs €4.95 per order, free when the goods come to €50.00 or more" in text
    assert "at Garden Goods delivery costs €6.95 per order;" not in text  # the last one ends the sentence
    assert "at Garden Goods delivery costs €6.95 per order." in text
    # The cart charges exactly that rule: below the threshold the fee, from it nothing.
    terms = pricing.delivery_terms_for_store(corner.pk)
    assert terms.fee_for(goods=Decimal("49.99"), pickup=False) == Decimal("4.95")
    assert terms.fee_for(goods=Decimal("50.00"), pickup=False) == Decimal("0.00")

    StoreShipping.objects.filter(store=garden).update(delivery_fee=Decimal("0.00"))

    assert "at Garden Goods delivery is free." in rendered()["shipping-costs"]


def test_pickup_is_free_and_opening_hours_are_the_stores(shops):
    texts = rendered()

    assert "Corner Shop: Mon-Sat 9-18." in texts["pay-at-pickup"]
    assert "Garden Goods: Tue-Sun 8:30-17:30." in texts["click-and-collect"]
    assert "collecting is free" in texts["pay-at-pickup"]
    terms = pricing.delivery_terms_for_store(shops[0].pk)
    assert terms.fee_for(goods=Decimal("1.00"), pickup=True) == Decimal("0.00")


def test_return_window_and_delivery_days_follow_the_code_that_applies_them(shops, monkeypatch):
    from inventory import selectors
    from inventory.services import returns

    assert f"within {returns.RETURN_WINDOW_DAYS} days of delivery" in rendered()["return-policy"]
    assert f"usually arrive {selectors.DELIVERY_DAYS} days after dispatch" in rendered()["delivery-times"]

    monkeypatch.setattr(returns, "RETURN_WINDOW_DAYS", 14)
    monkeypatch.setattr(selectors, "DELIVERY_DAYS", 3)

    assert "within 14 days of delivery" in rendered()["return-policy"]
    assert "usually arrive 3 days after dispatch" in rendered()["delivery-times"]


def test_sign_in_and_password_reset_figures_are_the_settings(shops, settings):
    settings.AXES_FAILURE_LIMIT = 7
    settings.PASSWORD_RESET_TIMEOUT = 2 * 3600

    text = rendered()["reset-password"]

    assert "valid for 2 hours" in text
    assert "After 7 failed sign-in attempts your account is locked for 15 minutes" in text


def test_the_help_page_and_the_admin_preview_show_the_rendered_fact(client, shops):
    from chatbot.demo import seed_articles

    seed_articles()

    page = client.get(reverse("chatbot:article", args=["shipping-costs"]))

    html = page.content.decode()
    assert "{{" not in html
    assert "at Corner Shop delivery costs €4.95 per order" in html


def test_an_unknown_placeholder_is_left_as_written_never_evaluated():
    assert render_facts("Hi {{ user.password }} {{ nope }}") == "Hi {{ user.password }} {{ nope }}"


def test_the_discount_code_article_names_the_checkout_field_and_its_refusals(shops):
    from inventory.forms import CheckoutForm

    text = rendered()["discount-codes"]

    assert f'"{CheckoutForm().fields["discount_code"].label}"' in text
    for reason in ("expired", "minimum basket", "used up"):
        assert reason in text


def test_guest_checkout_is_described_as_checkout_offers_it(shops):
    from inventory.services import guests

    text = rendered()["create-account"]
    assert "You can order without an account" in text
    assert "You need an account to place an order" not in text
    assert f"the link works for {guests.GUEST_ORDER_MAX_AGE // 86400} days" in text
    assert "keep the order in an account first" in rendered()["how-to-return"]
