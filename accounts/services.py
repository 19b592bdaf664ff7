"""Write use cases for accounts, and the outbox: the one way StockDesk sends a message."""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Notification, Role, User
from .tasks import enqueue_delivery

logger = logging.getLogger(__name__)


# --- Users ------------------------------------------------------------------------


@transaction.atomic
def user_register_customer(
    *, email: str, password: str, name: str = "", phone: str = "", sms_opt_in: bool = False
) -> User:
    """Create a customer account. The caller has validated the input (see SignUpForm)."""
    user = User.objects.create_user(email=email, password=password, name=name, phone=phone, sms_opt_in=sms_opt_in)
    user.groups.add(Group.objects.get(name=Role.CUSTOMER))
    return user


@transaction.atomic
def user_update_profile(*, user: User, name: str, phone: str, sms_opt_in: bool) -> User:
    user.name = name
    user.phone = phone
    user.sms_opt_in = sms_opt_in and bool(phone)
    user.save(update_fields=["name", "phone", "sms_opt_in"])
    return user


@transaction.atomic
def user_set_away(*, user: User, away: bool) -> User:
    """Agents who are away get no new tickets from auto-assignment (existing ones stay theirs)."""
    user.is_away = away
    user.save(update_fields=["is_away"])
    return user


# --- The outbox -------------------------------------------------------------------


def notify(
    *,
    channel: str,
    recipient: str,
    body: str,
    idempotency_key: str,
    subject: str = "",
    store=None,
    related: models.Model | None = None,
) -> Notification:
    """Queue one message for delivery; the only way anything in StockDesk sends one.

    Contract:
    - writes a ``Notification`` row inside the caller's transaction, so a rollback leaves
      no row and sends nothing;
    - enqueues delivery only after that transaction commits (``on_commit``);
    - is idempotent on ``idempotency_key``: calling it again with the same key returns
      the existing row and enqueues nothing, so a retried use case never sends twice
      (``get_or_create`` settles two concurrent calls through the unique constraint).
      Build keys from what makes the message unique, e.g. ``order-confirmed:42``.
    """
    if channel not in Notification.Channel.values:
        raise ValueError(f"Unknown channel {channel!r}.")
    if not recipient:
        raise ValueError("A notification needs a recipient.")
    defaults = {
        "channel": channel,
        "recipient": recipient,
        "subject": subject[:255],
        "body": body,
        "store": store,
    }
    if related is not None:
        defaults["related_type"] = ContentType.objects.get_for_model(related)
        defaults["related_id"] = str(related.pk)
    notification, created = Notification.objects.get_or_create(idempotency_key=idempotency_key, defaults=defaults)
    if created:
        transaction.on_commit(partial(enqueue_delivery, notification.pk))
    return notification


def notify_template(
    *,
    channel: str,
    recipient: str,
    template: str,
    context: dict,
    idempotency_key: str,
    store=None,
    related: models.Model | None = None,
) -> Notification:
    """``notify`` with subject and body rendered from ``templates/emails/<template>``.

    Email templates are ``<template>_subject.txt`` and ``<template>_body.txt``; SMS uses
    ``<template>_sms.txt``. They are plain text: user text appears as typed, and the HTML
    part that delivery adds escapes it.
    """
    context = {"site_url": settings.SITE_URL, "site_name": settings.SITE_NAME, **context}
    if channel == Notification.Channel.SMS:
        subject = ""
        body = render_to_string(f"emails/{template}_sms.txt", context).strip()
    else:
        subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
        body = render_to_string(f"emails/{template}_body.txt", context).strip() + "\n"
    return notify(
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        idempotency_key=idempotency_key,
        store=store,
        related=related,
    )


@transaction.atomic
def notifications_retry_failed(*, notification_ids: list[int]) -> int:
    """Give failed rows another round of attempts (after the cause was fixed). Returns the count."""
    ids = list(
        Notification.objects.filter(pk__in=notification_ids, status=Notification.Status.FAILED).values_list(
            "pk", flat=True
        )
    )
    Notification.objects.filter(pk__in=ids, status=Notification.Status.FAILED).update(
        status=Notification.Status.PENDING, attempts=0, next_attempt_at=None, updated_at=timezone.now()
    )
    for pk in ids:
        transaction.on_commit(partial(enqueue_delivery, pk))
    return len(ids)
