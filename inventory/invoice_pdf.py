"""An invoice as a PDF, drawn with ReportLab (pure Python wheels, no system libraries).

Shows exactly what the HTML page shows (``services.invoice_document``): the same lines, tax per
rate and totals, taken from the order.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .services.invoices import InvoiceDocument


def _eur(amount) -> str:
    return f"€{amount:,.2f}"


def _text(value: str) -> str:
    # Paragraph reads a small markup language: user text is escaped, new lines kept.
    return escape(value).replace("\n", "<br/>")


def invoice_pdf(document: InvoiceDocument) -> bytes:
    invoice, order = document.invoice, document.order
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Invoice {invoice.number}",
        author=invoice.seller_name,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        invariant=1,  # the same invoice gives the same bytes
    )
    seller = _text(invoice.seller_name)
    if invoice.seller_address:
        seller += "<br/>" + _text(invoice.seller_address)
    if invoice.seller_tax_number:
        seller += "<br/>VAT " + _text(invoice.seller_tax_number)
    buyer = "<br/>".join(
        _text(part)
        for part in (order.delivery_name, order.delivery_address, f"{order.delivery_postcode} {order.delivery_city}")
        if part.strip()
    )
    issued = timezone.localtime(invoice.issued_at)
    story = [
        Paragraph(f"Invoice {escape(invoice.number)}", styles["Title"]),
        Paragraph(
            f"Issued {issued:%d %B %Y} · order {escape(order.number)} of {order.created_at:%d %B %Y}", styles["Normal"]
        ),
        Spacer(1, 6 * mm),
        Table(
            [
                [
                    Paragraph("<b>Seller</b><br/>" + seller, styles["Normal"]),
                    Paragraph("<b>Customer</b><br/>" + buyer, styles["Normal"]),
                ]
            ],
            colWidths=[87 * mm, 87 * mm],
        ),
        Spacer(1, 6 * mm),
    ]
    shown = "incl." if order.prices_include_tax else "excl."
    rows = [["Product", "Qty", "Unit price", "Discount", "Tax rate", "Tax", f"Amount ({shown} tax)"]]
    for line in document.lines:
        rows.append(
            [
                Paragraph(f"{_text(line.description)}<br/><font size=8>{_text(line.sku)}</font>", styles["Normal"]),
                str(line.quantity),
                _eur(line.unit_price),
                f"-{_eur(line.discount)}" if line.discount else "",
                f"{line.tax_rate.normalize():f}%",
                _eur(line.tax),
                _eur(line.amount),
            ]
        )
    totals = [["Goods without tax", _eur(order.subtotal)]]
    if order.discount_total:
        code = f" ({order.discount_code.code})" if order.discount_code_id else ""
        totals.append([f"Discount{code}", f"-{_eur(order.discount_total)}"])
    for band in document.tax_bands:
        totals.append([f"Tax {band.rate.normalize():f}%", _eur(band.tax)])
    totals.append(["Delivery" if not order.is_pickup else "Collected at the shop", _eur(order.shipping_total)])
    totals.append(["Total", _eur(order.total)])
    grid = TableStyle(
        [
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ]
    )
    story.append(
        Table(rows, colWidths=[58 * mm, 12 * mm, 22 * mm, 20 * mm, 18 * mm, 18 * mm, 26 * mm], style=grid, repeatRows=1)
    )
    story.append(Spacer(1, 4 * mm))
    story.append(
        Table(
            totals,
            colWidths=[50 * mm, 30 * mm],
            hAlign="RIGHT",
            style=TableStyle(
                [
                    ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                    ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                    ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ]
            ),
        )
    )
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph(f"Paid by {escape(order.get_payment_method_display().lower())}.", styles["Normal"]))
    pdf.build(story)
    return buffer.getvalue()
