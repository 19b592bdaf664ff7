"""The session cart: product ids and quantities, with the price shown when added.

The session lives server-side, so a client cannot change the stored price; checkout
compares it with the catalogue price and refuses a silent change. A cart holds one
store's products (see ``CartError``): an order is paid on delivery or at pickup, to one
shop, so one cart = one order = one payment and one delivery, and a stock failure can
never leave half of a multi-shop checkout placed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .models import DiscountCode, Product
from .services import (
    MAX_LINE_QUANTITY,
    Buyer,
    CartItem,
    DiscountError,
    DiscountOffer,
    Quote,
    delivery_terms_for_store,
    discount_code_for_lines,
    quote,
    tax_terms_for_store,
)

SESSION_KEY = "cart"


class CartError(ValueError):
    pass


@dataclass
class CartLine:
    product: Product
    quantity: int
    unit_price: Decimal

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def price_changed(self) -> bool:
        return self.product.current_price != self.unit_price


class Cart:
    def __init__(self, session):
        self.session = session
        data = session.get(SESSION_KEY) or {}
        self.store_id: int | None = data.get("store")
        self.items: dict[str, dict] = data.get("items", {})
        # The discount code typed on the cart page, kept for checkout (checked again there).
        self.discount_code: str = data.get("discount_code", "")

    def _save(self) -> None:
        if not self.items:
            self.store_id = None
        self.session[SESSION_KEY] = {"store": self.store_id, "items": self.items, "discount_code": self.discount_code}
        self.session.modified = True

    def set_discount_code(self, code: str) -> None:
        """Remember the typed code ("" forgets it); whether it applies is ``discount``'s answer."""
        self.discount_code = " ".join((code or "").split())[:32]
        self._save()

    def __len__(self) -> int:
        return sum(item["qty"] for item in self.items.values())

    def add(self, *, product: Product, quantity: int) -> None:
        if self.store_id is not None and self.store_id != product.store_id and self.items:
            raise CartError(
                "Your cart holds another shop's products. Check out or empty the cart first: "
                "each order is delivered and paid to one shop."
            )
        key = str(product.pk)
        current = self.items.get(key, {}).get("qty", 0)
        if current + quantity > MAX_LINE_QUANTITY:
            raise CartError(f"At most {MAX_LINE_QUANTITY} of one product per order; your cart already holds {current}.")
        self.items[key] = {"qty": current + quantity, "price": str(product.current_price)}
        self.store_id = product.store_id
        self._save()

    def set(self, *, product_id: int, quantity: int) -> None:
        key = str(product_id)
        if key not in self.items:
            raise CartError("That product is not in your cart.")
        if quantity > MAX_LINE_QUANTITY:
            raise CartError(f"At most {MAX_LINE_QUANTITY} of one product per order.")
        if quantity <= 0:
            del self.items[key]
        else:
            self.items[key]["qty"] = quantity
        self._save()

    def refresh_prices(self, lines: list[CartLine]) -> None:
        """Accept the catalogue's current prices (after telling the customer)."""
        for line in lines:
            self.items[str(line.product.pk)]["price"] = str(line.product.current_price)
        self._save()

    def clear(self) -> None:
        self.items = {}
        self.discount_code = ""
        self._save()

    def lines(self) -> list[CartLine]:
        """Cart lines with their products (one query); vanished products drop out."""
        if not self.items:
            return []
        products = Product.objects.select_related("store").filter(pk__in=[int(k) for k in self.items], is_active=True)
        by_pk = {p.pk: p for p in products}
        return [
            CartLine(product=by_pk[int(k)], quantity=v["qty"], unit_price=Decimal(v["price"]))
            for k, v in self.items.items()
            if int(k) in by_pk
        ]

    def order_items(self, lines: list[CartLine]) -> list[CartItem]:
        return [CartItem(product_id=ln.product.pk, quantity=ln.quantity, unit_price=ln.unit_price) for ln in lines]

    @staticmethod
    def total(lines: list[CartLine]) -> Decimal:
        return sum((line.line_total for line in lines), Decimal("0"))

    @staticmethod
    def _priced(lines: list[CartLine]) -> list[tuple[Product, int, Decimal]]:
        return [(line.product, line.quantity, line.unit_price) for line in lines]

    def discount(self, lines: list[CartLine], *, buyer: Buyer | None) -> tuple[DiscountCode | None, str]:
        """The remembered code checked as checkout will check it (``discount_code_for_lines``):
        ``(code, "")`` when it applies, ``(None, why not)`` when refused, ``(None, "")`` if none.

        ``buyer`` None (a guest before checkout) leaves the per-customer limit to checkout.
        """
        if not lines or not self.discount_code:
            return None, ""
        try:
            code = discount_code_for_lines(
                store_id=lines[0].product.store_id, code=self.discount_code, buyer=buyer, lines=self._priced(lines)
            )
        except DiscountError as exc:
            return None, " ".join(exc.messages)
        return code, ""

    def quotes(self, lines: list[CartLine], *, code: DiscountCode | None = None) -> dict[str, Quote]:
        """The cart priced for delivery and for pickup, as ``order_place`` will price it
        (with ``code`` from ``discount``, the same check and the same ``quote``)."""
        if not lines:
            return {}
        return store_quotes(store_id=lines[0].product.store_id, lines=self._priced(lines), code=code)


def store_quotes(
    *, store_id: int, lines: list[tuple[Product, int, Decimal]], code: DiscountCode | None
) -> dict[str, Quote]:
    """One store's lines priced for delivery and for pickup (the cart page and ``POST /quotes/``),
    with the store's rules and a code checked by ``discount_code_for_lines``, as ``order_place`` prices."""
    terms, tax = delivery_terms_for_store(store_id), tax_terms_for_store(store_id)
    offer = DiscountOffer(code) if code else None
    return {
        "delivery": quote(lines=lines, delivery=terms, pickup=False, tax=tax, discount=offer),
        "pickup": quote(lines=lines, delivery=terms, pickup=True, tax=tax, discount=offer),
    }
