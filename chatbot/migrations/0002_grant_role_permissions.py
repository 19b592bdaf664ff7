"""Agents and ops look after the help centre: edit articles, read chats, review unanswered questions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

AGENT = [
    "view_article",
    "add_article",
    "change_article",
    "view_conversation",
    "view_chatmessage",
    "view_unansweredquestion",
    "change_unansweredquestion",
]
ROLE_PERMISSIONS = {"agent": AGENT, "ops": [*AGENT, "delete_article"]}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("chatbot")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="chatbot", codename__in=codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=ROLE_PERMISSIONS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="chatbot"))


class Migration(migrations.Migration):
    dependencies = [("chatbot", "0001_help_centre_and_chat"), ("accounts", "0002_create_roles")]

    operations = [migrations.RunPython(grant, revoke)]
