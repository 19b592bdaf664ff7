"""Returns: a customer asks, the shop approves or rejects, the goods come back through the ledger."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from accounts.services import notify_template

from .. import webhook_events
from ..models import OrderLine, ReturnRequest, StockMovement
from .common import EMAIL, OrderError, positive_int
from .ledger import stock_move

RETURN_WINDOW_DAYS = 30


def returnable_quantity(*, line: OrderLine) -> int:
    """Delivered units, inside the return window, not already covered by a pending, approved
    or received return."""
    if line.status != OrderLine.Status.DELIVERED:
        return 0
    if timezone.now() > line.delivered_at + timedelta(days=RETURN_WINDOW_DAYS):
        return 0
    taken = line.returns.exclude(status=ReturnRequest.Status.REJECTED).aggregate(total=Sum("quantity"))["total"] or 0
    return line.quantity - taken


@transaction.atomic
def return_request_create(*, customer: User, line: OrderLine, quantity, reason: str) -> ReturnRequest:
    """Ask to return delivered units within the return window. ``OrderError`` if not allowed."""
    # Lock the line so two concurrent requests cannot both claim the same units.
    line = OrderLine.objects.select_for_update().select_related("order").get(pk=line.pk)
    if line.order.customer_id != customer.pk:
        raise OrderError("Unknown order line.")
    quantity = positive_int(quantity, error=OrderError)
    if not (reason or "").strip():
        raise OrderError("Tell us why you are returning the item.")
    if line.status != OrderLine.Status.DELIVERED:
        raise OrderError("Only delivered items can be returned.")
    if timezone.now() > line.delivered_at + timedelta(days=RETURN_WINDOW_DAYS):
        raise OrderError(f"The {RETURN_WINDOW_DAYS}-day return window for this item has closed.")
    available = returnable_quantity(line=line)
    if quantity > available:
        raise OrderError(f"You can return at most {available} of this item.")
    request = ReturnRequest.objects.create(order_line=line, customer=customer, quantity=quantity, reason=reason.strip())
    webhook_events.return_requested(request)
    return request


def _return_notify(request: ReturnRequest, event: str) -> None:
    notify_template(
        channel=EMAIL,
        recipient=request.customer.email,
        template=f"return_{event}",
        context={"return_request": request, "product": request.order_line.product},
        idempotency_key=f"return-{event}:{request.pk}",
        store=request.order_line.order.store,
        related=request,
    )


def _return_transition(*, request: ReturnRequest, source: str, target: str, **fields) -> ReturnRequest:
    flipped = ReturnRequest.objects.filter(pk=request.pk, status=source).update(status=target, **fields)
    if not flipped:
        raise OrderError(f"Return #{request.pk} is {request.get_status_display().lower()}, not {source}.")
    request.refresh_from_db()
    return request


@transaction.atomic
def return_request_approve(*, request: ReturnRequest, actor: User, note: str = "") -> ReturnRequest:
    request = _return_transition(
        request=request,
        source=ReturnRequest.Status.REQUESTED,
        target=ReturnRequest.Status.APPROVED,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_note=note,
    )
    _return_notify(request, "approved")
    return request


@transaction.atomic
def return_request_reject(*, request: ReturnRequest, actor: User, note: str = "") -> ReturnRequest:
    request = _return_transition(
        request=request,
        source=ReturnRequest.Status.REQUESTED,
        target=ReturnRequest.Status.REJECTED,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_note=note,
    )
    _return_notify(request, "rejected")
    return request


@transaction.atomic
def return_request_receive(*, request: ReturnRequest, actor: User) -> ReturnRequest:
    """Approved -> received: the goods are back, restocked through the ledger once."""
    request = _return_transition(
        request=request,
        source=ReturnRequest.Status.APPROVED,
        target=ReturnRequest.Status.RECEIVED,
        received_at=timezone.now(),
    )
    line = request.order_line
    stock_move(
        product_id=line.product_id,
        delta=request.quantity,
        kind=StockMovement.Kind.RETURN,
        unit_cost=line.product.cost,
        reference=f"return:{request.pk}",
        actor=actor,
    )
    _return_notify(request, "received")
    return request
