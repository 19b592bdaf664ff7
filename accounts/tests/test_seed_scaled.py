"""`seed_scaled`: bulk data for the load benchmark that keeps the ledger right and is idempotent."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.tests.factories import AgentFactory, StoreFactory
from inventory.models import Order, OrderLine, Product
from inventory.services import stock_mismatches
from inventory.tests.factories import CategoryFactory
from tickets.models import Message, Ticket
from tickets.selectors import OPEN_STATUSES
from tickets.tests.factories import QueueFactory, sla_policies

pytestmark = pytest.mark.django_db

SMALL = ["--products", "40", "--orders", "60", "--customers", "6", "--tickets", "50", "--messages", "90"]


@pytest.fixture
def demo_skeleton():
    StoreFactory(slug="corner-shop", name="Corner Shop")
    for slug in ("kitchen", "stationery", "bathroom", "toys"):
        CategoryFactory(slug=slug, name=slug.title())
    sla_policies()
    QueueFactory(slug="orders", name="Orders").agents.add(AgentFactory())


def test_scales_up_with_a_consistent_ledger_and_adds_nothing_the_second_time(demo_skeleton, capsys):
    call_command("seed_scaled", *SMALL, "--open-share", "0.5")

    assert Product.objects.filter(store__slug="corner-shop").count() == 40
    assert Order.objects.count() == 60
    assert OrderLine.objects.filter(order__in=Order.objects.all()).count() >= 60
    assert Ticket.objects.count() == 50
    assert 10 <= Ticket.objects.filter(status__in=OPEN_STATUSES).count() <= 40
    assert Message.objects.count() == 90
    assert list(stock_mismatches()) == []  # every product's ledger sums to its stock on hand
    assert not Product.objects.filter(on_hand__lt=0).exists()

    call_command("seed_scaled", *SMALL)

    assert "nothing changed" in capsys.readouterr().out
    assert (Product.objects.count(), Order.objects.count(), Ticket.objects.count()) == (40, 60, 50)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--products", "-1"], "--products must be between"),
        (["--open-share", "2"], "--open-share must be between"),
        (["--store", "nowhere"], "Unknown demo store"),
        (["--customers", "0"], "Orders need customers"),
    ],
)
def test_bad_arguments_fail_with_a_message_and_change_nothing(demo_skeleton, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("seed_scaled", *SMALL, *args)

    assert not Product.objects.exists()
    assert not Ticket.objects.exists()
