from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from . import services
from .admin_mixins import ChangedValuesAdminMixin, NotFoundAdminMixin, ReadOnlyAdminMixin, StoreScopedAdminMixin
from .forms import AdminUserChangeForm, AdminUserCreationForm
from .models import Notification, Role, Store, StoreMembership, User
from .selectors import user_sees_all_stores


@admin.register(User)
class UserAdmin(ChangedValuesAdminMixin, NotFoundAdminMixin, DjangoUserAdmin):
    form = AdminUserChangeForm
    add_form = AdminUserCreationForm
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_active", "roles", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups", "is_away"]
    search_fields = ["email", "name", "phone"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("name", "phone", "sms_opt_in", "is_away")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "name", "password1", "password2")}),)

    # Fields that grant rights: only a superuser may change them, on any account.
    privileged_fields = ("is_staff", "is_superuser", "groups", "user_permissions")

    def get_queryset(self, request):
        qs = super().get_queryset(request).prefetch_related("groups")
        if user_sees_all_stores(request.user):
            return qs
        # Agents look people up to help them: customers only, never staff accounts.
        return qs.filter(is_staff=False, is_superuser=False, groups__name=Role.CUSTOMER).distinct()

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += [name for name in self.privileged_fields if name not in readonly]
        return readonly

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        # A non-superuser (ops) may change customers' accounts and their own, never another staff
        # account: its password or email would hand over that account's rights.
        if obj is None or request.user.is_superuser or obj.pk == request.user.pk:
            return True
        return not (obj.is_staff or obj.is_superuser)

    @admin.display(description="roles")
    def roles(self, obj):
        return ", ".join(sorted(group.name for group in obj.groups.all()))


class StoreMembershipInline(admin.TabularInline):
    model = StoreMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Store)
class StoreAdmin(ChangedValuesAdminMixin, StoreScopedAdminMixin, admin.ModelAdmin):
    store_path = "pk"
    list_display = ["name", "slug", "monthly_budget", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        if user_sees_all_stores(request.user):
            return qs
        return qs.filter(memberships__user=request.user)

    def get_inlines(self, request, obj):
        # Who works for a store is decided by ops, not by the store's own staff.
        return [StoreMembershipInline] if user_sees_all_stores(request.user) else []

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if user_sees_all_stores(request.user) else {}

    def get_readonly_fields(self, request, obj=None):
        return [] if user_sees_all_stores(request.user) else ["name", "slug"]

    def has_add_permission(self, request):
        return user_sees_all_stores(request.user) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return user_sees_all_stores(request.user) and super().has_delete_permission(request, obj)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "channel", "recipient", "subject", "status", "attempts", "store", "sent_at"]
    list_filter = ["status", "channel", "store"]
    search_fields = ["recipient", "subject", "idempotency_key"]
    date_hierarchy = "created_at"
    list_select_related = ["store"]
    readonly_fields = [
        "channel",
        "recipient",
        "subject",
        "body",
        "store",
        "related_type",
        "related_id",
        "status",
        "attempts",
        "last_error",
        "idempotency_key",
        "next_attempt_at",
        "claimed_until",
        "created_at",
        "updated_at",
        "sent_at",
    ]
    actions = ["retry_failed"]

    @admin.action(description="Retry the selected failed notifications", permissions=["view"])
    def retry_failed(self, request, queryset):
        count = services.notifications_retry_failed(notification_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} notification(s) queued again.", messages.SUCCESS)
