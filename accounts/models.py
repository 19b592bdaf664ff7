"""People, stores and the notification outbox."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_email
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property


class Role(models.TextChoices):
    """Roles are auth Groups with these names (created by migration 0002)."""

    CUSTOMER = "customer", "Customer"
    AGENT = "agent", "Agent"
    RETAILER = "retailer", "Retailer"
    OPS = "ops", "Ops"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        # Logins are case-insensitive on the email address.
        return self.get(email__iexact=username)


def full_name(name: str, email: str) -> str:
    """How a person is named in full (``User.get_full_name``), also for rows read without a User."""
    return name or email


def short_name(name: str, email: str) -> str:
    """How a person is named in short (``User.get_short_name``), also for rows read without a User."""
    return (name.split() or [email])[0]


class User(AbstractUser):
    """A person who logs in with their email address."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(
        max_length=32, blank=True, help_text="International format, e.g. +31612345678. Used for SMS updates."
    )
    sms_opt_in = models.BooleanField("SMS updates", default=False)
    is_away = models.BooleanField(default=False, help_text="Agents who are away get no new tickets.")

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(
                condition=~models.Q(sms_opt_in=True, phone=""), name="accounts_user_sms_needs_phone"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return full_name(self.name, self.email)

    def get_short_name(self) -> str:
        return short_name(self.name, self.email)

    @cached_property
    def role_names(self) -> frozenset[str]:
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, role: str) -> bool:
        return role in self.role_names

    @property
    def is_customer(self) -> bool:
        return self.has_role(Role.CUSTOMER)

    @property
    def is_agent(self) -> bool:
        return self.has_role(Role.AGENT)

    @property
    def is_retailer(self) -> bool:
        return self.has_role(Role.RETAILER)

    @property
    def is_ops(self) -> bool:
        return self.has_role(Role.OPS)


def validate_email_list(value: str) -> None:
    for address in split_addresses(value):
        validate_email(address)


def split_addresses(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ",").replace(";", ",").split(",") if part.strip()]


class Store(models.Model):
    """A retailer's shop. Every inventory row belongs to exactly one store."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    alert_emails = models.TextField(
        blank=True,
        validators=[validate_email_list],
        help_text="Addresses for low-stock and budget alerts, separated by commas or new lines.",
    )
    monthly_budget = models.DecimalField(
        "monthly purchasing budget",
        max_digits=12,
        decimal_places=2,
        default=0,
        help_text="Receipts past this amount in a calendar month send one budget alert. 0 = no budget.",
    )
    members = models.ManyToManyField(User, through="StoreMembership", related_name="stores")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(monthly_budget__gte=0), name="accounts_store_budget_gte_0"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def alert_email_list(self) -> list[str]:
        return split_addresses(self.alert_emails)


class StoreMembership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        STAFF = "staff", "Staff"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "store"], name="accounts_membership_user_store_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.store} ({self.role})"


class Notification(models.Model):
    """One message in the outbox. Written by ``accounts.services.notify`` only.

    A row is the promise that a message will be delivered once or visibly fail: the
    idempotency key makes a repeated ``notify`` a no-op, and delivery claims the row
    before sending so two workers never send it twice.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    channel = models.CharField(max_length=5, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    related_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    related_id = models.CharField(max_length=64, blank=True)
    related_object = GenericForeignKey("related_type", "related_id")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="accounts_notif_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "sending", "sent", "failed"]),
                name="accounts_notification_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=["email", "sms"]), name="accounts_notification_channel_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="accounts_notification_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.recipient}: {self.subject or self.body[:40]}"


class IdempotencyKey(models.Model):
    """The stored answer to one ``POST`` sent with an ``Idempotency-Key`` header (``accounts.idempotency``).

    Written in the same transaction as what the request created, so a key exists exactly when
    its request succeeded; the unique constraint makes two concurrent requests with one key
    run the use case once (the second waits for the first, then replays its answer).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="idempotency_keys")
    key = models.CharField(max_length=255)
    # sha256 of method, path and the parsed body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(encoder=DjangoJSONEncoder, null=True, blank=True)
    response_location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="accounts_idempotency_user_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.user_id})"
