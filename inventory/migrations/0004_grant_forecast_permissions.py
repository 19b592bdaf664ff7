"""Let retailers and ops read forecasts and set their store's replenishment settings.

Forecast rows are written by the forecasting service only, so nobody gets add/change on them.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = [
    "view_demandforecast",
    "view_replenishmentsettings",
    "add_replenishmentsettings",
    "change_replenishmentsettings",
]
ROLES = ["retailer", "ops"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("inventory")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="inventory", codename__in=CODENAMES)
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="inventory", codename__in=CODENAMES)
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0003_forecasts_and_replenishment_settings"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
