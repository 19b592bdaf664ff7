"""Tickets: queues, SLA policies, tickets with their messages, attachments and history."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"

    @classmethod
    def raised(cls, value: str) -> str:
        """One step up, capped at urgent (what an SLA breach does)."""
        order = [cls.LOW, cls.NORMAL, cls.HIGH, cls.URGENT]
        return order[min(order.index(value) + 1, len(order) - 1)]


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    WAITING = "waiting", "Waiting on customer"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class Channel(models.TextChoices):
    WEB = "web", "Web"
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat"
    API = "api", "API"


class Queue(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.CharField(max_length=255, blank=True)
    agents = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="ticket_queues", blank=True)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class SLAPolicy(models.Model):
    """Targets per priority, in business-agnostic wall-clock minutes."""

    priority = models.CharField(max_length=10, choices=Priority.choices, unique=True)
    first_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    first_response_minutes__gt=0, resolution_minutes__gte=models.F("first_response_minutes")
                ),
                name="tickets_sla_targets_sane",
            ),
        ]

    def __str__(self) -> str:
        from .templatetags.durations import human_duration

        return (
            f"{self.get_priority_display()}: reply in {human_duration(self.first_response_minutes)}, "
            f"resolve in {human_duration(self.resolution_minutes)}"
        )


class Ticket(models.Model):
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tickets")
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="tickets")
    subject = models.CharField(max_length=200)
    description = models.TextField()
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    channel = models.CharField(max_length=5, choices=Channel.choices, default=Channel.WEB)
    follow_up_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        help_text="The earlier ticket this one continues (a reply that came too late to reopen it).",
    )
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged")
    # Optional links to what the ticket is about; always one of the requester's own orders
    # (checked by the service, not trusted from the form).
    order = models.ForeignKey(
        "inventory.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    product = models.ForeignKey(
        "inventory.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )

    # SLA clock. Due times move forward by the time spent waiting on the customer.
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0, help_text="Time spent waiting on the customer.")
    first_response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    csat_score = models.PositiveSmallIntegerField(null=True, blank=True)
    csat_comment = models.TextField(blank=True)
    csat_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # Team leads: the desk's reports (first reply, resolution, SLA, ratings) for their queues.
        permissions = [("view_desk_reports", "Can see the desk reports")]
        indexes = [
            models.Index(fields=["status", "queue"], name="tickets_status_queue"),
            models.Index(fields=["assignee", "status"], name="tickets_assignee_status"),
            models.Index(fields=["requester", "-created_at"], name="tickets_requester_created"),
            # The desk's open views walk these in due order and stop after one page, instead of
            # sorting every open ticket (60 ms -> 0.6 ms with 9,000 open tickets on PostgreSQL).
            models.Index(
                fields=["resolution_due_at", "id"],
                name="tickets_open_by_due",
                condition=models.Q(status__in=["new", "open", "waiting", "on_hold"]),
            ),
            models.Index(
                fields=["queue"],
                name="tickets_open_by_queue",
                condition=models.Q(status__in=["new", "open", "waiting", "on_hold"]),
            ),
            models.Index(
                fields=["assignee", "resolution_due_at", "id"],
                name="tickets_open_mine_by_due",
                condition=models.Q(status__in=["new", "open", "waiting", "on_hold"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(csat_score__isnull=True) | models.Q(csat_score__gte=1, csat_score__lte=5),
                name="tickets_csat_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in Status]), name="tickets_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(priority__in=[p.value for p in Priority]), name="tickets_priority_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(csat_score__isnull=True) | models.Q(resolved_at__isnull=False),
                name="tickets_csat_only_after_resolution",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return format_reference(self.pk)

    @property
    def is_open(self) -> bool:
        return self.status not in (Status.RESOLVED, Status.CLOSED)


REFERENCE_PREFIX = "TCK-"


def format_reference(pk: int | None) -> str:
    return f"{REFERENCE_PREFIX}{pk:05d}" if pk else "TCK-?"


def parse_reference(value: str) -> int | None:
    """``TCK-00042`` (any case, spaces or no dash tolerated) → 42; anything else → None."""
    text = value.strip().upper().replace(" ", "")
    if text.startswith("TCK"):
        text = text[3:].lstrip("-#")
    return int(text) if text.isdigit() and 0 < len(text) <= 12 else None


class Message(models.Model):
    class AuthorKind(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        AGENT = "agent", "Agent"
        BOT = "bot", "Bot"
        SYSTEM = "system", "System"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    author_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    body = models.TextField()
    is_internal = models.BooleanField("internal note", default=False)
    channel = models.CharField(max_length=5, choices=Channel.choices, default=Channel.WEB)
    email_message_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # Customers never write internal notes, whatever the interface.
            models.CheckConstraint(
                condition=models.Q(is_internal=False) | models.Q(author_kind__in=["agent", "system"]),
                name="tickets_internal_notes_by_staff",
            ),
            models.UniqueConstraint(
                fields=["email_message_id"],
                condition=~models.Q(email_message_id=""),
                name="tickets_message_email_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_author_kind_display()} on {self.ticket.reference}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is generated; the customer's file name is kept only as data.
    return f"attachments/{instance.ticket_id}/{instance.storage_key}{instance.extension}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    storage_key = models.CharField(max_length=32, unique=True)
    extension = models.CharField(max_length=10)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class TicketEvent(models.Model):
    """Append-only history: who changed what, from what, to what, and when."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        STATUS = "status", "Status changed"
        PRIORITY = "priority", "Priority changed"
        ASSIGNEE = "assignee", "Assignee changed"
        QUEUE = "queue", "Queue changed"
        REPLY = "reply", "Public reply"
        NOTE = "note", "Internal note"
        REOPENED = "reopened", "Reopened"
        MERGED = "merged", "Merged"
        SLA_BREACH = "sla_breach", "SLA breached"
        CSAT = "csat", "Rated"
        FOLLOW_UP = "follow_up", "Follow-up opened"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    field = models.CharField(max_length=40, blank=True)
    old_value = models.CharField(max_length=255, blank=True)
    new_value = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.old_value} → {self.new_value}"


class TicketRating(models.Model):
    """Every satisfaction rating a ticket was given, one per resolution (append-only).

    The ticket's ``csat_*`` fields are its current rating; reopening clears them until the ticket
    is resolved and rated again, and these rows keep what each resolution was given.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="ratings")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    resolved_at = models.DateTimeField(help_text="The resolution this rating was given to.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="tickets_rating_1_to_5"),
            models.UniqueConstraint(fields=["ticket", "resolved_at"], name="tickets_rating_once_per_resolution"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.score}/5"


class CannedResponse(models.Model):
    """A reusable reply. Placeholders: {customer_name}, {ticket_reference}, {order_number}."""

    title = models.CharField(max_length=120)
    body = models.TextField()
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.CASCADE, help_text="Empty = all queues.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class InboundEmail(models.Model):
    """Every email that reached StockDesk, kept whatever happened to it (for audit and replay)."""

    class Outcome(models.TextChoices):
        THREADED = "threaded", "Added to a ticket"
        CREATED = "created", "Opened a ticket"
        IGNORED = "ignored", "Ignored"
        HELD = "held", "Held: sender not verified"
        FAILED = "failed", "Could not be processed"

    message_id = models.CharField(max_length=255, blank=True)
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    raw = models.BinaryField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=255, blank=True)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_emails")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject} ({self.outcome})"


class JobLock(models.Model):
    """A named lock held in the database, so two runs of a job (on any machine) never overlap."""

    name = models.CharField(max_length=80, primary_key=True)
    holder = models.CharField(max_length=120)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder} until {self.expires_at}"


class TicketPresence(models.Model):
    """Who has a ticket open on the desk right now, and whether they are typing a reply.

    One row per agent and ticket, refreshed by the page's heartbeat; a row older than
    ``tickets.presence.PRESENCE_TTL`` means the agent has gone (closed the tab, lost the network).
    Kept in the database rather than the cache: the embedded default's local-memory cache is per
    process, and gunicorn runs several, so two agents would not see each other.
    """

    class State(models.TextChoices):
        VIEWING = "viewing", "Viewing"
        TYPING = "typing", "Typing a reply"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="presences")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_presences")
    state = models.CharField(max_length=10, choices=State.choices, default=State.VIEWING)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "agent"], name="tickets_presence_once_per_agent"),
            models.CheckConstraint(condition=models.Q(state__in=["viewing", "typing"]), name="tickets_presence_state"),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.state} {self.ticket_id}"
