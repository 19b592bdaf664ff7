import pytest
from django.urls import reverse

from accounts.tests.factories import OpsFactory
from tickets.models import InboundEmail, Ticket

from .factories import QueueFactory

pytestmark = pytest.mark.django_db

RAW = (
    b"From: Dana <dana@example.com>\r\nTo: support@stockdesk.local\r\nSubject: Lost parcel\r\n"
    b"Message-ID: <replay-1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nWhere is it?\r\n"
)


def test_failed_email_can_be_processed_again_from_admin(client, sla, settings):
    settings.INBOUND_EMAIL_UNVERIFIED = "accept"  # the sender check has its own tests
    # Given an email that failed because no queue existed yet
    InboundEmail.objects.create(message_id="<replay-1@example.com>", raw=RAW, outcome="failed", reason="no queue")
    QueueFactory(slug="general", name="General")
    client.force_login(OpsFactory())
    # When ops processes it again
    response = client.post(
        reverse("admin:tickets_inboundemail_changelist"),
        {"action": "process_again", "_selected_action": list(InboundEmail.objects.values_list("pk", flat=True))},
        follow=True,
    )
    # Then it opened a ticket, and the failed row stays as the record of the first attempt
    assert "1 email(s) processed again: 1 created" in response.content.decode()
    assert Ticket.objects.get().subject == "Lost parcel"
    assert sorted(InboundEmail.objects.values_list("outcome", flat=True)) == ["created", "failed"]
