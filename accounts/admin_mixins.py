"""Store scoping for the back office, shared by every app's admin.

A retailer sees and changes only rows of the stores they belong to; superusers and ops
see everything. Objects outside the caller's scope answer 404, exactly as if they did
not exist: the admin must not confirm that another store's id is real.
"""

from __future__ import annotations

import contextlib
import json

from django import forms
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.http import Http404

from .selectors import store_list_for_user, user_sees_all_stores


class NotFoundAdminMixin:
    """Unknown or out-of-scope ids answer 404 (Django's admin redirects to its index saying the
    object doesn't exist, which confirms nothing but differs from the rest of the site)."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj


class StoreScopedAdminMixin(NotFoundAdminMixin):
    """Filter an admin to the caller's stores.

    ``store_path`` is the ORM path from the model to its ``Store`` (``"store"``,
    ``"order__store"``…). Foreign keys to other store-scoped models are limited to the
    caller's stores through ``scoped_fk_paths`` (field name → path to store on the target).
    """

    store_path: str = "store"
    scoped_fk_paths: dict[str, str] = {}

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if user_sees_all_stores(request.user):
            return qs
        return qs.filter(**{f"{self.store_path}__in": store_list_for_user(request.user)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not user_sees_all_stores(request.user):
            if db_field.name == "store" and self.store_path == "store":
                kwargs["queryset"] = store_list_for_user(request.user)
            elif db_field.name in self.scoped_fk_paths:
                path = self.scoped_fk_paths[db_field.name]
                kwargs["queryset"] = db_field.related_model._default_manager.filter(
                    **{f"{path}__in": store_list_for_user(request.user)}
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_list_filter(self, request):
        # A plain "store" filter lists every store's name; for a retailer it lists only the
        # stores that appear in their own (scoped) rows.
        filters = super().get_list_filter(request)
        if user_sees_all_stores(request.user):
            return filters
        return [
            (name, admin.RelatedOnlyFieldListFilter) if isinstance(name, str) and _is_store_path(name) else name
            for name in filters
        ]


def _is_store_path(name: str) -> bool:
    return name == "store" or name.endswith("__store")


def _shown(field: forms.Field, value) -> str:
    """A form value as a person reads it in the history ("—" for empty)."""
    single_choice = isinstance(field, forms.ModelChoiceField) and not isinstance(field, forms.ModelMultipleChoiceField)
    if single_choice and value not in (None, ""):
        with contextlib.suppress(ValidationError):
            value = field.to_python(value)
    if isinstance(value, list | tuple) or hasattr(value, "model"):
        value = ", ".join(str(item) for item in value)
    text = "—" if value in (None, "") else str(value)
    return text if len(text) <= 200 else text[:199] + "…"


class ChangedValuesAdminMixin:
    """The object's history page says what changed from what: "Changed Price: 10.00 → 12.50."

    Django's own message names the changed fields only ("Changed Price."). Changes to inline
    rows keep Django's wording after the field values.
    """

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        if add or not form.changed_data:
            return message
        values = []
        for name in form.changed_data:
            field = form.fields.get(name)
            if field is None:
                continue
            old, new = _shown(field, form.initial.get(name)), _shown(field, form.cleaned_data.get(name))
            if old != new:  # e.g. a date typed in another format: no change a person would see
                values.append(f"{field.label or name}: {old} → {new}")
        if not values:
            return message
        inline = [entry for entry in message if "object" in next(iter(entry.values()), {})]
        text = "Changed " + "; ".join(values) + "."
        if inline:
            text += " " + LogEntry(change_message=json.dumps(inline)).get_change_message()
        return text


class ReadOnlyAdminMixin:
    """For append-only records (ledgers, outbox, history): viewable, never edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


__all__ = ["ChangedValuesAdminMixin", "NotFoundAdminMixin", "ReadOnlyAdminMixin", "StoreScopedAdminMixin", "admin"]
