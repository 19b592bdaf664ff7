"""What the desk tells a store's webhooks (``webhooks.services.webhook_event_emit``).

Tickets belong to no store; one linked to an order (or a product) is that store's, and only
those reach its webhooks. Called inside the use case's transaction; delivered after commit.
"""

from __future__ import annotations

from inventory.models import Order, Product
from webhooks.models import Event
from webhooks.services import webhook_event_emit

from .models import Message, Ticket, TicketEvent


def _store_id(ticket: Ticket) -> int | None:
    if ticket.order_id:
        return Order.objects.filter(pk=ticket.order_id).values_list("store_id", flat=True).first()
    if ticket.product_id:
        return Product.objects.filter(pk=ticket.product_id).values_list("store_id", flat=True).first()
    return None


def _ticket(ticket: Ticket) -> dict:
    return {
        "ticket": {
            "id": ticket.pk,
            "reference": ticket.reference,
            "status": ticket.status,
            "order": ticket.order_id,
            "product": ticket.product_id,
        }
    }


def ticket_created(ticket: Ticket) -> None:
    webhook_event_emit(
        store_id=_store_id(ticket), event=Event.TICKET_CREATED, data=_ticket(ticket), key=f"ticket.created:{ticket.pk}"
    )


def ticket_replied(ticket: Ticket, message: Message) -> None:
    data = {**_ticket(ticket), "message": {"id": message.pk}}
    webhook_event_emit(
        store_id=_store_id(ticket), event=Event.TICKET_REPLIED, data=data, key=f"ticket.replied:{message.pk}"
    )


def ticket_resolved(ticket: Ticket, event: TicketEvent) -> None:
    webhook_event_emit(
        store_id=_store_id(ticket), event=Event.TICKET_RESOLVED, data=_ticket(ticket), key=f"ticket.resolved:{event.pk}"
    )
