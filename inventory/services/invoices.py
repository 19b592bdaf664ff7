"""Invoices: one per order, numbered per store in sequence, never reused.

Decision: an invoice is issued the first time anybody asks for it (the customer's invoice link,
the admin's, the API), not inside ``order_place``, so placing an order stays as it is and an
order cancelled before anybody asked never takes a number. Once issued it stays, cancelled or
not, and always shows the order's own money (fixed when the order was placed).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F

from ..models import Invoice, InvoiceSeries, Order, OrderLine
from .common import OrderError
from .pricing import ZERO, to_cents

logger = logging.getLogger(__name__)


def invoice_issue(*, order: Order) -> Invoice:
    """The order's invoice, issuing it with the store's next number if it has none yet.

    Safe to call twice and under concurrency: the store's ``InvoiceSeries`` row is locked
    (``select_for_update``; on SQLite the IMMEDIATE write transaction serialises the same way)
    before the order is checked for an invoice and the counter is raised, so two requests for
    one order get one invoice and two orders of one store get consecutive numbers. The UNIQUE
    (store, sequence_number) and the one-to-one order are the last guard. Raises ``OrderError``
    for a cancelled order that was never invoiced.
    """
    existing = Invoice.objects.filter(order=order).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        series, _ = InvoiceSeries.objects.get_or_create(store_id=order.store_id)
        # Lock order: the store's series (store level) before the order, as elsewhere.
        series = InvoiceSeries.objects.select_for_update().get(pk=series.pk)
        existing = Invoice.objects.filter(order=order).first()
        if existing is not None:
            return existing
        status = Order.objects.filter(pk=order.pk).values_list("status", flat=True).first()
        if status != Order.Status.PLACED:
            raise OrderError("A cancelled order has no invoice.", code="no_invoice")
        InvoiceSeries.objects.filter(pk=series.pk).update(last_number=F("last_number") + 1)
        series.refresh_from_db(fields=["last_number"])
        invoice = Invoice.objects.create(
            order=order,
            store_id=order.store_id,
            sequence_number=series.last_number,
            number=f"{series.prefix}{series.last_number:06d}",
            seller_name=series.legal_name or order.store.name,
            seller_address=series.address,
            seller_tax_number=series.tax_number,
        )
    logger.info("Invoice %s issued for order %s", invoice.number, order.pk)
    return invoice


@dataclass(frozen=True)
class InvoiceLine:
    description: str
    sku: str
    quantity: int
    unit_price: Decimal
    discount: Decimal
    tax_rate: Decimal
    tax: Decimal
    amount: Decimal  # as the store shows prices (incl. or excl. tax), after the discount


@dataclass(frozen=True)
class TaxBand:
    rate: Decimal
    tax: Decimal


@dataclass(frozen=True)
class InvoiceDocument:
    """What an invoice shows, the same for the HTML page, the PDF and the API."""

    invoice: Invoice
    order: Order
    lines: tuple[InvoiceLine, ...]
    tax_bands: tuple[TaxBand, ...]


def invoice_document(*, invoice: Invoice) -> InvoiceDocument:
    """The invoice's lines and tax per rate; the bands add up to the order's tax to the cent.

    Each band is its lines' tax rounded half-up; when a store rounds once per order those can
    differ from the order's ``tax_total`` by a cent, which then goes to the largest band (the
    order's figure is the one charged).
    """
    order = invoice.order
    lines = []
    by_rate: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for line in OrderLine.objects.filter(order=order).select_related("product").order_by("pk"):
        lines.append(
            InvoiceLine(
                description=line.product.name,
                sku=line.product.sku,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                tax_rate=line.tax_rate,
                tax=to_cents(line.tax),
                amount=to_cents(line.unit_price * line.quantity) - line.discount,
            )
        )
        by_rate[line.tax_rate] += line.tax
    bands = {rate: to_cents(tax) for rate, tax in by_rate.items()}
    if bands:
        gap = order.tax_total - sum(bands.values(), ZERO)
        largest = max(bands, key=lambda rate: bands[rate])
        bands[largest] += gap
    return InvoiceDocument(
        invoice=invoice,
        order=order,
        lines=tuple(lines),
        tax_bands=tuple(TaxBand(rate, tax) for rate, tax in sorted(bands.items())),
    )
