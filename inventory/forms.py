"""Storefront forms: they validate shape; the services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator

from .models import Order
from .services import MAX_LINE_QUANTITY


class AddToCartForm(forms.Form):
    # Only the product and a quantity: the price is always read from the catalogue, so
    # any price field a client adds to the POST is simply ignored.
    product = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    quantity = forms.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY, initial=1)


class CartUpdateForm(forms.Form):
    product = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    quantity = forms.IntegerField(min_value=0, max_value=MAX_LINE_QUANTITY, help_text="0 removes the line.")


class CheckoutForm(forms.Form):
    delivery_name = forms.CharField(label="Name", max_length=150)
    delivery_address = forms.CharField(label="Address", widget=forms.Textarea(attrs={"rows": 2}))
    delivery_postcode = forms.CharField(label="Postcode", max_length=16)
    delivery_city = forms.CharField(label="City", max_length=80)
    delivery_phone = forms.CharField(label="Phone (optional)", max_length=32, required=False)
    discount_code = forms.CharField(label="Discount code (optional)", max_length=32, required=False)
    payment_method = forms.ChoiceField(
        label="Payment",
        choices=Order.PaymentMethod.choices,
        widget=forms.RadioSelect,
        initial=Order.PaymentMethod.CASH_ON_DELIVERY,
        help_text="No card needed: you pay the courier in cash, or at the shop when you collect.",
    )


class ReturnRequestForm(forms.Form):
    quantity = forms.IntegerField(min_value=1)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, max_quantity: int, **kwargs):
        super().__init__(*args, **kwargs)
        # The friendly check; the service re-checks under a row lock.
        self.fields["quantity"].validators.append(MaxValueValidator(max_quantity))
        self.fields["quantity"].widget.attrs["max"] = max_quantity


class NotifyMeForm(forms.Form):
    email = forms.EmailField()


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(choices=[(i, f"{i} / 5") for i in range(5, 0, -1)], coerce=int)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)
