"""Reads scoped to who asks."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Notification, Store, User


def user_sees_all_stores(user: User) -> bool:
    """Superusers and ops see every store; everybody else only their memberships."""
    return bool(user.is_active and (user.is_superuser or user.is_ops))


def store_list_for_user(user: User) -> QuerySet[Store]:
    if not user.is_authenticated:
        return Store.objects.none()
    if user_sees_all_stores(user):
        return Store.objects.all()
    return Store.objects.filter(memberships__user=user)


def store_ids_for_user(user: User) -> list[int]:
    return list(store_list_for_user(user).values_list("pk", flat=True))


def notification_list_for_user(user: User) -> QuerySet[Notification]:
    """Outbox rows a back-office user may see: all for ops, their stores' rows for retailers."""
    qs = Notification.objects.select_related("store", "related_type")
    if user_sees_all_stores(user):
        return qs
    return qs.filter(store__in=store_list_for_user(user))
