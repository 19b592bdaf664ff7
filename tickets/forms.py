from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from .models import Priority, Queue, Status


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks each (type, size, name)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class TicketCreateForm(forms.Form):
    queue = forms.ModelChoiceField(
        queryset=Queue.objects.filter(is_active=True), label="What is it about?", empty_label=None
    )
    subject = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=20000, label="Tell us more")
    attachments = MultipleFileField(label="Attach files (photos, PDF, text; up to 10 MB each)")

    def __init__(self, *args, linkable_orders=None, linkable_products=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the customer's own orders and the products in them can be chosen.
        self.fields["order"] = forms.ModelChoiceField(
            queryset=linkable_orders,
            required=False,
            label="Is it about one of your orders?",
            empty_label="No specific order",
        )
        self.fields["product"] = forms.ModelChoiceField(
            queryset=linkable_products,
            required=False,
            label="Or one product you bought?",
            empty_label="No specific product",
        )
        self.order_fields(["queue", "order", "product", "subject", "description", "attachments"])
        self.helper = FormHelper()
        self.helper.attrs = {"enctype": "multipart/form-data"}
        self.helper.add_input(Submit("submit", "Send"))


class CustomerReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=20000, label="Your reply")
    attachments = MultipleFileField(label="Attach files")


class AgentReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=20000, label="Reply")
    internal = forms.BooleanField(required=False, label="Internal note (not shown to the customer)")
    set_status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Keep status"),
            (Status.WAITING, "Waiting on customer"),
            (Status.RESOLVED, "Resolved"),
            (Status.ON_HOLD, "On hold"),
        ],
        label="Then set status",
    )
    attachments = MultipleFileField(label="Attach files")
    # The newest message the agent's page showed: a public reply by someone else after it makes
    # the desk ask before sending (tickets/presence.py).
    last_seen = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


class CsatForm(forms.Form):
    score = forms.TypedChoiceField(
        coerce=int, choices=[(i, str(i)) for i in range(5, 0, -1)], widget=forms.RadioSelect, label="Your rating"
    )
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(
        choices=Priority.choices, widget=forms.Select(attrs={"class": "form-select", "id": "priority"})
    )


class MergeForm(forms.Form):
    target = forms.CharField(max_length=20, label="Merge into ticket (reference)")
