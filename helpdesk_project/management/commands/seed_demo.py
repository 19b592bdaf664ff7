"""Fill StockDesk with demo data. Running it twice changes nothing the second time."""

from django.core.management.base import BaseCommand

from accounts.demo import SeedReport, seed_accounts
from chatbot.demo import seed_articles
from inventory.demo import CUSTOMER_PASSWORD, seed_inventory
from tickets.demo import seed_helpdesk


class Command(BaseCommand):
    help = "Create demo users (one per role), stores and data. Idempotent."

    def handle(self, *args, **options):
        report = SeedReport()
        seed_accounts(report)
        self.stdout.write("Seeding the catalogue and a year of sales history...")
        seed_inventory(report)
        seed_helpdesk(report)
        seed_articles(report)
        report.created = {what: n for what, n in report.created.items() if n}
        if report.created:
            created = ", ".join(f"{n} {what}" for what, n in sorted(report.created.items()))
            self.stdout.write(self.style.SUCCESS(f"Created {created}."))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write("\nDemo logins (http://127.0.0.1:8000/accounts/login/):")
        for role, email, password in report.logins:
            self.stdout.write(f"  {role:<9} {email:<28} {password}")
        self.stdout.write(f"  customer  customer01..20@stockdesk.local {CUSTOMER_PASSWORD}")
