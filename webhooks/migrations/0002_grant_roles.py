"""Retailers register their stores' webhook endpoints and read the delivery log; ops read both."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "retailer": [
        "view_webhookendpoint",
        "add_webhookendpoint",
        "change_webhookendpoint",
        "delete_webhookendpoint",
        "view_webhookdelivery",
    ],
    "ops": ["view_webhookendpoint", "view_webhookdelivery", "change_webhookendpoint"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("webhooks")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="webhooks", codename__in=codenames))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="webhooks"))


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("accounts", "0002_create_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
