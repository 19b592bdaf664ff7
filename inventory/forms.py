"""Storefront forms: they validate shape; the services decide what is allowed."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator

from .models import Address, Order
from .services import MAX_LINE_QUANTITY


class AddToCartForm(forms.Form):
    # Only the product and a quantity: the price is always read from the catalogue, so
    # any price field a client adds to the POST is simply ignored.
    product = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    quantity = forms.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY, initial=1)


class CartUpdateForm(forms.Form):
    product = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    quantity = forms.IntegerField(min_value=0, max_value=MAX_LINE_QUANTITY, help_text="0 removes the line.")


class AddressForm(forms.ModelForm):
    make_default = forms.BooleanField(label="Make this my default address", required=False)

    class Meta:
        model = Address
        fields = ["label", "name", "address", "postcode", "city", "phone"]
        labels = {"label": "Label (optional)", "phone": "Phone (optional)"}
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.is_default:
            del self.fields["make_default"]


DELIVERY_FIELDS = ["delivery_name", "delivery_address", "delivery_postcode", "delivery_city"]


class SavedAddressChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Address) -> str:
        return obj.one_line


class DiscountCodeForm(forms.Form):
    code = forms.CharField(label="Discount code", max_length=32, required=False)


class CheckoutForm(forms.Form):
    """Checkout for a customer (saved addresses, or a new one to save) or a guest (an email)."""

    email = forms.EmailField(
        label="Email", help_text="For the confirmation and the link to your order; no account needed."
    )
    saved_address = SavedAddressChoice(
        label="Deliver to",
        queryset=Address.objects.none(),
        required=False,
        empty_label="A new address (below)",
        blank=True,
        widget=forms.RadioSelect,
    )
    delivery_name = forms.CharField(label="Name", max_length=150, required=False)
    delivery_address = forms.CharField(label="Address", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    delivery_postcode = forms.CharField(label="Postcode", max_length=16, required=False)
    delivery_city = forms.CharField(label="City", max_length=80, required=False)
    delivery_phone = forms.CharField(label="Phone (optional)", max_length=32, required=False)
    save_address = forms.BooleanField(label="Save this address to my account", required=False)
    discount_code = forms.CharField(label="Discount code (optional)", max_length=32, required=False)
    payment_method = forms.ChoiceField(
        label="Payment",
        choices=Order.PaymentMethod.choices,
        widget=forms.RadioSelect,
        initial=Order.PaymentMethod.CASH_ON_DELIVERY,
        help_text="No card needed: you pay the courier in cash, or at the shop when you collect.",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user if user is not None and user.is_authenticated else None
        if self.user is None:
            # A guest: an email instead of an account, nothing to choose from or save to.
            del self.fields["saved_address"], self.fields["save_address"]
            return
        del self.fields["email"]
        # Only the customer's own addresses are choices: another customer's id is "not one of
        # the available choices", a form error, and nothing is placed.
        addresses = Address.objects.filter(customer=self.user)
        self.fields["saved_address"].queryset = addresses
        if not addresses.exists():
            del self.fields["saved_address"]

    def clean(self):
        data = super().clean()
        if data.get("saved_address") is None:
            for name in DELIVERY_FIELDS:
                if not (data.get(name) or "").strip() and name not in self.errors:
                    self.add_error(name, "This field is required.")
        return data


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
