"""Give the retailer and ops roles their inventory permissions.

Retailers manage their own store's catalogue, suppliers, purchase orders, orders' lines,
returns and reviews (the admin scopes every row to their store); the ledger, alerts and
budget alerts are read-only records for them. Ops may do the same for every store.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

RETAILER = [
    "view_category",
    "view_supplier",
    "add_supplier",
    "change_supplier",
    "view_product",
    "add_product",
    "change_product",
    "view_stockmovement",
    "view_order",
    "view_orderline",
    "change_orderline",
    "view_returnrequest",
    "change_returnrequest",
    "view_purchaseorder",
    "add_purchaseorder",
    "change_purchaseorder",
    "view_purchaseorderline",
    "add_purchaseorderline",
    "change_purchaseorderline",
    "delete_purchaseorderline",
    "view_purchasespend",
    "view_budgetalert",
    "view_stockalert",
    "view_backinstocksubscription",
    "view_review",
    "change_review",
]
OPS = [*RETAILER, "add_category", "change_category", "view_categoryfollow"]
ROLE_PERMISSIONS = {"retailer": RETAILER, "ops": OPS}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("inventory")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="inventory", codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="inventory")
    for group in Group.objects.filter(name__in=ROLE_PERMISSIONS):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0001_catalogue_ledger_orders_purchasing"),
        ("accounts", "0002_create_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
