"""Suggested answers for the desk's reply form (desk_suggestions.js reads them as JSON)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse

from inventory.selectors import order_list_for_customer

from . import selectors
from .suggestions import suggestions_for_ticket
from .views import _agent_required


def linked_order_stock(ticket) -> dict | None:
    """The ticket's linked order with each line's live stock, read now (the order panel's
    selector: the requester's own orders, so a link can never show anyone else's order)."""
    if not ticket.order_id:
        return None
    order = order_list_for_customer(ticket.requester).filter(pk=ticket.order_id).first()
    if order is None:
        return None
    return {
        "number": order.number,
        "status": order.get_status_display(),
        "lines": [
            {
                "product": line.product.name,
                "quantity": line.quantity,
                "status": line.get_status_display(),
                "on_hand": line.product.on_hand,
            }
            for line in order.lines.all()
        ],
    }


def suggestions_payload(ticket) -> dict:
    found = suggestions_for_ticket(ticket=ticket)
    return {
        "articles": [s.as_dict() for s in found["articles"]],
        "canned": [s.as_dict() for s in found["canned"]],
        "order": linked_order_stock(ticket),
    }


@login_required
def desk_suggestions(request: HttpRequest, pk: int) -> JsonResponse:
    """Scoped like the ticket page (``ticket_scope_for_agent``): another queue's ticket is a 404."""
    _agent_required(request)
    ticket = selectors.ticket_get_for_agent(request.user, pk)
    response = JsonResponse(suggestions_payload(ticket))
    response["Cache-Control"] = "private, no-store"
    return response
