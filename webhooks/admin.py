"""A store's admin registers endpoints and reads the delivery log; "resend" sends deliveries again."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from accounts.admin_mixins import ReadOnlyAdminMixin, StoreScopedAdminMixin

from . import services
from .models import Event, WebhookDelivery, WebhookEndpoint


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(choices=Event.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookEndpoint
        fields = ["store", "url", "description", "events", "is_active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError("Use an http(s) URL.")
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "store", "is_active", "created_at"]
    list_filter = ["store", "is_active"]
    readonly_fields = ["secret", "created_at"]
    fields = ["store", "url", "description", "events", "is_active", "secret", "created_at"]
    list_select_related = ["store"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, StoreScopedAdminMixin, admin.ModelAdmin):
    store_path = "endpoint__store"
    list_display = ["event", "endpoint", "status", "attempts", "last_status_code", "created_at", "delivered_at"]
    list_filter = ["status", "event"]
    search_fields = ["event_id", "endpoint__url"]
    list_select_related = ["endpoint"]
    actions = ["resend"]

    def has_resend_permission(self, request):
        return request.user.has_perm("webhooks.change_webhookendpoint")

    @admin.action(description="Resend the selected deliveries", permissions=["resend"])
    def resend(self, request, queryset):
        count = services.webhook_deliveries_resend(delivery_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} deliver{'y' if count == 1 else 'ies'} queued again.", messages.SUCCESS)
