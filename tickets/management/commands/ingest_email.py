"""Feed one email to the helpdesk: ``manage.py ingest_email message.eml`` or, from a mail server's
pipe, ``manage.py ingest_email -`` (stdin).

Exit codes: 0 the email was stored (a ticket, a reply, or ignored), 1 it was stored but could not
be processed (the reason is printed; the raw email is kept for replay), 2 usage error (no input,
unreadable file), 75 (EX_TEMPFAIL) it could not even be stored, so a mail server retries later.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tickets.email_in import email_ingest
from tickets.models import InboundEmail

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Process one raw email (an .eml file, or '-' for stdin) into a ticket or a reply."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default="-", help="An .eml file, or '-' to read stdin (default).")

    def handle(self, *args, **options):
        path = options["path"]
        if path == "-":
            raw = sys.stdin.buffer.read()
            source = "stdin"
        else:
            try:
                raw = Path(path).read_bytes()
            except OSError as exc:
                raise CommandError(f"Cannot read {path}: {exc.strerror or exc}", returncode=2) from exc
            source = path
        if not raw.strip():
            raise CommandError(f"No email to ingest: {source} is empty.", returncode=2)
        try:
            inbound = email_ingest(raw=raw)
        except Exception as exc:
            # Not even the failed row could be written (database down): ask the sender's server to retry.
            raise CommandError(
                f"Could not store the email: {type(exc).__name__}: {exc}", returncode=EX_TEMPFAIL
            ) from exc
        summary = f"{inbound.get_outcome_display()}: {inbound.reason} (inbound email #{inbound.pk})"
        if inbound.outcome == InboundEmail.Outcome.FAILED:
            raise CommandError(f"Failed: {inbound.reason} (kept as inbound email #{inbound.pk})", returncode=1)
        self.stdout.write(summary)
