"""Create the four roles as Groups and give them the accounts permissions they need.

Each later app grants its own models' permissions to these groups in its own data
migration, so a role's rights are declared next to the models they concern.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "customer": [],
    "agent": ["view_user"],
    "retailer": ["view_store", "change_store", "view_notification"],
    "ops": [
        "view_user",
        "add_user",
        "change_user",
        "view_store",
        "add_store",
        "change_store",
        "view_storemembership",
        "add_storemembership",
        "change_storemembership",
        "delete_storemembership",
        "view_notification",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate); create the
    # accounts ones now so the groups can reference them.
    app_config = apps.get_app_config("accounts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)
        group.permissions.add(*perms)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
