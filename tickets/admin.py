"""The helpdesk in Django admin: scoped to the agent's queues; every change goes through services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import Http404
from django.urls import reverse
from django.utils.html import format_html

from accounts.admin_mixins import ChangedValuesAdminMixin, ReadOnlyAdminMixin

from . import selectors, services
from .models import (
    Attachment,
    CannedResponse,
    InboundEmail,
    Message,
    Queue,
    SLAPolicy,
    Status,
    Ticket,
    TicketEvent,
    TicketRating,
)
from .templatetags.durations import human_duration


class QueueScopedMixin:
    """Agents see the tickets of their queues; ops and superusers see all. Other ids answer 404."""

    queue_path = "queue"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if selectors.agent_sees_all_queues(request.user):
            return qs
        return qs.filter(**{f"{self.queue_path}__in": selectors.queue_list_for_agent(request.user)})

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404


@admin.register(Queue)
class QueueAdmin(ChangedValuesAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "is_active", "position"]
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ["agents"]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(ChangedValuesAdminMixin, admin.ModelAdmin):
    list_display = [
        "priority",
        "first_response_minutes",
        "first_response_target",
        "resolution_minutes",
        "resolution_target",
    ]

    @admin.display(description="first reply in")
    def first_response_target(self, obj: SLAPolicy) -> str:
        return human_duration(obj.first_response_minutes)

    @admin.display(description="resolve in")
    def resolution_target(self, obj: SLAPolicy) -> str:
        return human_duration(obj.resolution_minutes)


@admin.register(CannedResponse)
class CannedResponseAdmin(ChangedValuesAdminMixin, admin.ModelAdmin):
    list_display = ["title", "queue", "is_active"]
    list_filter = ["queue", "is_active"]
    search_fields = ["title", "body"]


class MessageInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Message
    fields = ["created_at", "author_kind", "author", "is_internal", "body"]
    readonly_fields = fields
    extra = 0


class RatingInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Every rating the ticket was given, one per resolution (reopening clears only the current one)."""

    model = TicketRating
    fields = ["created_at", "score", "comment", "resolved_at"]
    readonly_fields = fields
    extra = 0


class EventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TicketEvent
    fields = ["created_at", "actor", "kind", "old_value", "new_value"]
    readonly_fields = fields
    extra = 0


@admin.register(Ticket)
class TicketAdmin(QueueScopedMixin, admin.ModelAdmin):
    list_display = [
        "ref",
        "subject",
        "requester",
        "queue",
        "priority",
        "status",
        "assignee",
        "resolution_due_at",
        "created_at",
    ]
    list_filter = ["status", "priority", "queue", "channel"]
    search_fields = ["subject", "requester__email", "requester__name"]
    list_select_related = ["requester", "queue", "assignee"]
    date_hierarchy = "created_at"
    inlines = [MessageInline, RatingInline, EventInline]
    actions = ["claim", "mark_open", "mark_waiting", "mark_resolved", "mark_closed"]
    # Every field is read-only here: changes go through the desk actions and the services,
    # so history and notifications are never skipped.
    readonly_fields = [
        "ref",
        "requester",
        "queue",
        "subject",
        "description",
        "priority",
        "status",
        "assignee",
        "channel",
        "follow_up_of",
        "merged_into",
        "first_response_due_at",
        "resolution_due_at",
        "first_responded_at",
        "paused_at",
        "paused_seconds",
        "first_response_breached_at",
        "resolution_breached_at",
        "resolved_at",
        "closed_at",
        "csat_score",
        "csat_comment",
        "csat_at",
        "created_at",
        "desk_link",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="reference", ordering="pk")
    def ref(self, obj):
        return obj.reference

    @admin.display(description="desk")
    def desk_link(self, obj):
        return format_html('<a href="{}">Open in the ticket desk</a>', reverse("tickets:desk_ticket", args=[obj.pk]))

    def _run(self, request, queryset, action, done: str):
        ok, failed = 0, []
        for ticket in queryset:
            try:
                action(ticket)
                ok += 1
            except services.TicketError as exc:
                failed.append(f"{ticket.reference}: {' '.join(exc.messages)}")
        if ok:
            self.message_user(request, f"{ok} ticket(s) {done}.", messages.SUCCESS)
        for line in failed:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description="Assign the selected tickets to me", permissions=["change"])
    def claim(self, request, queryset):
        self._run(request, queryset, lambda t: services.ticket_claim(ticket=t, agent=request.user), "assigned to you")

    def _status_action(status, label):
        @admin.action(description=f"Set status: {label}", permissions=["change"])
        def action(self, request, queryset):
            self._run(
                request,
                queryset,
                lambda t: services.ticket_change_status(ticket=t, status=status, actor=request.user),
                f"set to {label}",
            )

        action.__name__ = f"mark_{status}"
        return action

    mark_open = _status_action(Status.OPEN, "open")
    mark_waiting = _status_action(Status.WAITING, "waiting on customer")
    mark_resolved = _status_action(Status.RESOLVED, "resolved")
    mark_closed = _status_action(Status.CLOSED, "closed")


@admin.register(Attachment)
class AttachmentAdmin(QueueScopedMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    queue_path = "ticket__queue"
    list_display = ["original_name", "ticket", "content_type", "size", "created_at"]
    list_select_related = ["ticket"]
    exclude = ["file"]  # downloads go through the permission-checked view only


@admin.register(TicketEvent)
class TicketEventAdmin(QueueScopedMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    queue_path = "ticket__queue"
    list_display = ["created_at", "ticket", "actor", "kind", "old_value", "new_value"]
    list_filter = ["kind"]
    list_select_related = ["ticket", "actor"]


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "sender", "subject", "outcome", "reason", "ticket"]
    list_filter = ["outcome"]
    search_fields = ["sender", "subject", "message_id"]
    exclude = ["raw"]
    actions = ["process_again", "release_held"]

    @admin.action(description="Process the selected failed emails again", permissions=["view"])
    def process_again(self, request, queryset):
        from .email_in import email_ingest

        outcomes = [
            email_ingest(raw=bytes(row.raw)).outcome for row in queryset.filter(outcome=InboundEmail.Outcome.FAILED)
        ]
        self.message_user(
            request,
            f"{len(outcomes)} email(s) processed again: "
            + (", ".join(f"{outcomes.count(o)} {o}" for o in sorted(set(outcomes))) or "none were failed"),
            messages.INFO,
        )

    @admin.action(description="Release the selected held emails (their senders are checked)", permissions=["view"])
    def release_held(self, request, queryset):
        from .email_in import email_release

        released = [
            email_release(inbound=row, actor=request.user)
            for row in queryset.filter(outcome=InboundEmail.Outcome.HELD).order_by("received_at", "pk")
        ]
        self.message_user(request, f"{len(released)} held email(s) released.", messages.INFO)
