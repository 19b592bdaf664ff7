"""Give agents and ops their ticket permissions (the role groups come from accounts 0002)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "agent": [
        "view_queue",
        "view_ticket",
        "change_ticket",
        "view_message",
        "add_message",
        "view_attachment",
        "view_ticketevent",
        "view_cannedresponse",
        "add_cannedresponse",
        "change_cannedresponse",
        "view_slapolicy",
    ],
    "ops": [
        "view_queue",
        "add_queue",
        "change_queue",
        "view_ticket",
        "change_ticket",
        "view_message",
        "view_attachment",
        "view_ticketevent",
        "view_cannedresponse",
        "add_cannedresponse",
        "change_cannedresponse",
        "delete_cannedresponse",
        "view_slapolicy",
        "add_slapolicy",
        "change_slapolicy",
        "view_inboundemail",
    ],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("tickets")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="tickets", codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=ROLE_PERMISSIONS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="tickets"))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial"), ("accounts", "0002_create_roles")]

    operations = [migrations.RunPython(grant, revoke)]
