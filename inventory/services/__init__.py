"""Every write in inventory, by subject, behind one set of names (``inventory.services.order_place``).

- ``ledger``: the only module that changes ``Product.on_hand``; stock alerts and back-in-stock emails;
- ``pricing``: what a cart costs (goods, tax, delivery fee, total), shared by cart, checkout and orders;
- ``discounts``: checking a discount code and counting its uses atomically;
- ``orders``: placing, cancelling, shipping and delivering orders;
- ``returns``: return requests from asking to restocking;
- ``purchasing``: purchase orders and the monthly budget;
- ``notices``: back-in-stock subscriptions, new-arrival announcements, the low-stock digest;
- ``reviews``: product reviews;
- ``images``: product pictures (checked by ``inventory.images``);
- ``invoices``: issuing an order's numbered invoice and what it shows;
- ``addresses``: a customer's saved delivery addresses and their default;
- ``guests``: the signed link to a guest's order and claiming it into an account.
"""

from .addresses import (
    MAX_ADDRESSES,
    AddressError,
    AddressInput,
    address_create,
    address_delete,
    address_delivery,
    address_set_default,
    address_update,
)
from .common import (
    Buyer,
    OrderError,
    PurchaseOrderError,
    StockError,
)
from .discounts import (
    DiscountError,
    DiscountOffer,
    discount_code_check,
    discount_code_for_lines,
    discount_code_use,
)
from .guests import (
    GUEST_ORDER_MAX_AGE,
    guest_order_for_token,
    guest_order_token,
    order_claim,
    order_claim_into_new_account,
    order_page_path,
)
from .images import product_image_add, product_image_delete
from .invoices import InvoiceDocument, invoice_document, invoice_issue
from .ledger import (
    StockMismatch,
    stock_adjust,
    stock_history_load,
    stock_mismatches,
    stock_receive,
)
from .notices import (
    SUBSCRIPTION_MAX_AGE,
    SUBSCRIPTION_SALT,
    back_in_stock_confirm,
    back_in_stock_subscribe,
    category_follow,
    category_unfollow,
    product_launches_announce,
    stock_alert_digest_send,
)
from .orders import (
    MAX_LINE_QUANTITY,
    CartItem,
    DeliveryDetails,
    order_cancel,
    order_line_mark_delivered,
    order_line_mark_shipped,
    order_place,
)
from .pricing import (
    DeliveryTerms,
    Quote,
    TaxTerms,
    delivery_terms_for_store,
    quote,
    tax_terms_for_store,
)
from .purchasing import (
    PurchaseLineInput,
    month_start,
    purchase_order_create,
    purchase_order_mark_ordered,
    purchase_order_receive,
    store_month_spend,
)
from .returns import (
    RETURN_WINDOW_DAYS,
    return_request_approve,
    return_request_create,
    return_request_receive,
    return_request_reject,
    returnable_quantity,
)
from .reviews import (
    customer_received_product,
    review_create,
    review_set_hidden,
)

__all__ = [
    "GUEST_ORDER_MAX_AGE",
    "MAX_ADDRESSES",
    "MAX_LINE_QUANTITY",
    "RETURN_WINDOW_DAYS",
    "SUBSCRIPTION_MAX_AGE",
    "SUBSCRIPTION_SALT",
    "AddressError",
    "AddressInput",
    "Buyer",
    "CartItem",
    "DeliveryDetails",
    "DeliveryTerms",
    "DiscountError",
    "DiscountOffer",
    "InvoiceDocument",
    "OrderError",
    "PurchaseLineInput",
    "PurchaseOrderError",
    "Quote",
    "StockError",
    "StockMismatch",
    "TaxTerms",
    "address_create",
    "address_delete",
    "address_delivery",
    "address_set_default",
    "address_update",
    "back_in_stock_confirm",
    "back_in_stock_subscribe",
    "category_follow",
    "category_unfollow",
    "customer_received_product",
    "delivery_terms_for_store",
    "discount_code_check",
    "discount_code_for_lines",
    "discount_code_use",
    "guest_order_for_token",
    "guest_order_token",
    "invoice_document",
    "invoice_issue",
    "month_start",
    "order_cancel",
    "order_claim",
    "order_claim_into_new_account",
    "order_line_mark_delivered",
    "order_line_mark_shipped",
    "order_page_path",
    "order_place",
    "product_image_add",
    "product_image_delete",
    "product_launches_announce",
    "purchase_order_create",
    "purchase_order_mark_ordered",
    "purchase_order_receive",
    "quote",
    "return_request_approve",
    "return_request_create",
    "return_request_receive",
    "return_request_reject",
    "returnable_quantity",
    "review_create",
    "review_set_hidden",
    "stock_adjust",
    "stock_alert_digest_send",
    "stock_history_load",
    "stock_mismatches",
    "stock_receive",
    "store_month_spend",
    "tax_terms_for_store",
]
