"""The reports' filters: a date range and one of the agent's queues."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.http import Http404
from django.utils import timezone

from .models import Queue
from .reports import REPORT_MAX_DAYS

DEFAULT_DAYS = 30


class ReportFilterForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    queue = forms.ModelChoiceField(queryset=Queue.objects.none(), required=False, empty_label="All my queues")

    def __init__(self, data=None, *, queues, **kwargs):
        today = timezone.localdate()
        values = {"start": today - timedelta(days=DEFAULT_DAYS - 1), "end": today, "queue": ""}
        if data is not None:
            values.update({key: data[key] for key in ("start", "end", "queue") if data.get(key) not in (None, "")})
        super().__init__(values, **kwargs)
        self.fields["queue"].queryset = queues

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end date must be on or after the start date.")
            elif (end - start).days + 1 > REPORT_MAX_DAYS:
                self.add_error("start", f"A report covers at most {REPORT_MAX_DAYS} days.")
        return cleaned

    def full_clean(self):
        super().full_clean()
        # A queue id that is not one of the agent's queues answers 404, like any other's id.
        # Anything else that is not a queue id stays a form error.
        if "queue" in self.errors and str(self.data.get("queue", "")).isdigit():
            raise Http404("No such queue.")
