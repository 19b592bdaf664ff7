"""``{% product_picture image "card" %}``: a responsive, lazily loaded ``<img>`` of a product image."""

from __future__ import annotations

from django import template

from ..images import picture

register = template.Library()


@register.inclusion_tag("storefront/_picture.html")
def product_picture(image, slot: str, css_class: str = "", eager: bool = False) -> dict:
    """``eager`` for the one picture a visitor sees first (the product page's main one)."""
    return {"picture": picture(image, slot) if image is not None else None, "css_class": css_class, "eager": eager}
