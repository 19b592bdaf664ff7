"""Two hand-over requests at the same moment (double click, two tabs) open one ticket."""

import threading

import pytest
from django.db import connection

from chatbot import services
from chatbot.models import Conversation
from tickets.models import Queue, Ticket


@pytest.mark.django_db(transaction=True)
def test_concurrent_hand_overs_open_one_ticket(customer):
    Queue.objects.create(slug="general", name="General")
    conversation = Conversation.objects.create(user=customer)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def hand_over():
        try:
            barrier.wait()
            results.append(services.conversation_hand_over(conversation=conversation).ticket_id)
        except Exception as exc:  # noqa: BLE001 - any error in a thread is collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=hand_over) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Ticket.objects.count() == 1
    assert results == [Ticket.objects.get().pk] * 2
    assert conversation.messages.filter(sender="system").count() == 1
