"""What inventory tells a store's webhooks (``webhooks.services.webhook_event_emit``).

Each function is called inside the use case's transaction; the delivery rows commit (or roll
back) with it, and go out after commit. The payload names ids, not prose: fetch the object
through the API for the rest.
"""

from __future__ import annotations

from webhooks.models import Event
from webhooks.services import webhook_event_emit

from .models import Order, OrderLine, Product, ReturnRequest, StockAlert


def _order(order: Order) -> dict:
    return {"order": {"id": order.pk, "number": order.number, "status": order.status, "total": str(order.total)}}


def order_placed(order: Order) -> None:
    webhook_event_emit(
        store_id=order.store_id, event=Event.ORDER_PLACED, data=_order(order), key=f"order.placed:{order.pk}"
    )


def order_cancelled(order: Order) -> None:
    webhook_event_emit(
        store_id=order.store_id, event=Event.ORDER_CANCELLED, data=_order(order), key=f"order.cancelled:{order.pk}"
    )


def order_line_shipped(line: OrderLine, *, store_id: int) -> None:
    data = {
        "order": {"id": line.order_id},
        "line": {"id": line.pk, "product": line.product_id, "quantity": line.quantity},
    }
    webhook_event_emit(store_id=store_id, event=Event.ORDER_SHIPPED, data=data, key=f"order.shipped:{line.pk}")


def stock_low(product: Product, alert: StockAlert) -> None:
    data = {
        "product": {
            "id": product.pk,
            "sku": product.sku,
            "on_hand": product.on_hand,
            "reorder_point": product.reorder_point,
        },
        "alert": {"id": alert.pk},
    }
    webhook_event_emit(store_id=product.store_id, event=Event.STOCK_LOW, data=data, key=f"stock.low:{alert.pk}")


def return_requested(request: ReturnRequest) -> None:
    line = request.order_line
    data = {
        "return": {"id": request.pk, "order": line.order_id, "order_line": line.pk, "quantity": request.quantity},
    }
    webhook_event_emit(
        store_id=line.order.store_id, event=Event.RETURN_REQUESTED, data=data, key=f"return.requested:{request.pk}"
    )
