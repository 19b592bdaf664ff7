"""Re-dispatch outbox rows that are due (what the beat task does every minute)."""

from django.core.management.base import BaseCommand

from accounts import tasks as account_tasks


class Command(BaseCommand):
    help = "Enqueue pending notifications that are due (broker was down, a worker died, a retry is due)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", type=int, default=0, help="Only rows older than this many seconds (default 0)."
        )

    def handle(self, *args, **options):
        if options["older_than"] < 0:
            from django.core.management.base import CommandError

            raise CommandError("--older-than must be 0 or more seconds.")
        count = account_tasks.redispatch_pending_notifications(options["older_than"])
        self.stdout.write(f"Enqueued {count} notification(s).")
