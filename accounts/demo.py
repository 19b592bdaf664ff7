"""Demo accounts and stores for `manage.py seed_demo`. Idempotent: keyed on email and slug."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.db import transaction

from .models import Role, Store, StoreMembership, User

DEMO_USERS = [
    # email, name, role, password, staff
    ("customer@stockdesk.local", "Casey Customer", Role.CUSTOMER, "stockdesk-customer", False),
    ("agent@stockdesk.local", "Alex Agent", Role.AGENT, "stockdesk-agent", True),
    ("retailer@stockdesk.local", "Robin Retailer", Role.RETAILER, "stockdesk-retailer", True),
    ("retailer2@stockdesk.local", "Riley Retailer", Role.RETAILER, "stockdesk-retailer2", True),
    ("ops@stockdesk.local", "Olive Ops", Role.OPS, "stockdesk-ops", True),
]

DEMO_STORES = [
    # slug, name, alert emails, monthly budget, owner email
    ("corner-shop", "Corner Shop", "retailer@stockdesk.local", "15000.00", "retailer@stockdesk.local"),
    ("garden-goods", "Garden Goods", "retailer2@stockdesk.local", "8000.00", "retailer2@stockdesk.local"),
]


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    def count(self, what: str, n: int = 1) -> None:
        self.created[what] = self.created.get(what, 0) + n


@transaction.atomic
def seed_accounts(report: SeedReport) -> None:
    for email, name, role, password, staff in DEMO_USERS:
        user, created = User.objects.get_or_create(email=email, defaults={"name": name, "is_staff": staff})
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
            report.count("users")
        user.groups.add(Group.objects.get(name=role))
        report.logins.append((role, email, password if created or user.check_password(password) else "(changed)"))
    for slug, name, emails, budget, owner in DEMO_STORES:
        store, created = Store.objects.get_or_create(
            slug=slug, defaults={"name": name, "alert_emails": emails, "monthly_budget": budget}
        )
        if created:
            report.count("stores")
        _, created = StoreMembership.objects.get_or_create(
            user=User.objects.get(email=owner), store=store, defaults={"role": StoreMembership.Role.OWNER}
        )
        if created:
            report.count("memberships")
