"""Poll the support mailbox over IMAP and ingest every unseen email (run it from cron or a loop).

``IMAP_URL`` says where: ``imaps://user:password@imap.example.com:993/INBOX`` (TLS from the
start) or ``imap://…:143/INBOX`` (STARTTLS, required except on localhost). A database lock makes
sure two runs, on any machine, never fetch the same mailbox at once.
"""

import imaplib
import logging
import os
import socket
import ssl
from collections import Counter
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tickets.email_in import email_ingest
from tickets.services import job_lock_acquire, job_lock_release

logger = logging.getLogger(__name__)

LOCK_NAME = "fetch_mail"
LOCK_TTL_SECONDS = 600
IMAP_TIMEOUT_SECONDS = 30
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class ImapConfig:
    secure: bool
    host: str
    port: int
    user: str
    password: str
    mailbox: str


def imap_config_parse(url: str) -> ImapConfig:
    """Read ``IMAP_URL``; raises ``CommandError`` naming what is wrong (never echoing the password)."""
    if not url:
        raise CommandError("IMAP_URL is not set (e.g. imaps://user:password@imap.example.com:993/INBOX).")
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps"):
        raise CommandError(f"IMAP_URL must start with imaps:// or imap://, not {parts.scheme or '(nothing)'}://.")
    try:
        port = parts.port
    except ValueError as exc:
        raise CommandError("IMAP_URL has an invalid port.") from exc
    if not parts.hostname or not parts.username or parts.password is None:
        raise CommandError("IMAP_URL needs a user, a password and a host: imaps://user:password@host:993/INBOX.")
    secure = parts.scheme == "imaps"
    return ImapConfig(
        secure=secure,
        host=parts.hostname,
        port=port or (993 if secure else 143),
        user=unquote(parts.username),
        password=unquote(parts.password),
        mailbox=unquote(parts.path.lstrip("/")) or "INBOX",
    )


def imap_connect(config: ImapConfig) -> imaplib.IMAP4:
    context = ssl.create_default_context()
    try:
        if config.secure:
            conn = imaplib.IMAP4_SSL(config.host, config.port, ssl_context=context, timeout=IMAP_TIMEOUT_SECONDS)
        else:
            conn = imaplib.IMAP4(config.host, config.port, timeout=IMAP_TIMEOUT_SECONDS)
            if "STARTTLS" in conn.capabilities:
                conn.starttls(ssl_context=context)
            elif config.host not in LOCAL_HOSTS:
                conn.logout()
                raise CommandError(f"{config.host} does not offer STARTTLS; refusing to send the password in clear.")
    except (OSError, imaplib.IMAP4.error) as exc:
        raise CommandError(f"Cannot connect to IMAP server {config.host}:{config.port}: {exc}") from exc
    try:
        conn.login(config.user, config.password)
    except imaplib.IMAP4.error as exc:
        _logout(conn)
        raise CommandError(f"The IMAP server {config.host} refused the login for {config.user}: {exc}") from exc
    return conn


def _logout(conn: imaplib.IMAP4) -> None:
    try:
        conn.logout()
    except (OSError, imaplib.IMAP4.error):
        logger.warning("IMAP logout failed", exc_info=True)


def _fetched_bytes(data: list) -> bytes | None:
    """The message bytes out of imaplib's FETCH answer: ``[(b'1 (UID 7 BODY[] {123}', b'...'), b')']``."""
    for item in data or ():
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


class Command(BaseCommand):
    help = "Fetch unseen emails from IMAP_URL and turn each into a ticket or a reply (one run at a time)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=200, help="At most this many emails per run (default 200).")

    def handle(self, *args, **options):
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        config = imap_config_parse(settings.IMAP_URL)
        holder = f"{socket.gethostname()}:{os.getpid()}"
        if not job_lock_acquire(name=LOCK_NAME, holder=holder, ttl_seconds=LOCK_TTL_SECONDS):
            self.stdout.write("another fetch_mail run holds the lock; nothing fetched.")
            return
        try:
            counts, not_stored = self._fetch(config, limit=options["limit"])
        finally:
            job_lock_release(name=LOCK_NAME, holder=holder)
        summary = ", ".join(f"{outcome} {n}" for outcome, n in sorted(counts.items())) or "no new email"
        self.stdout.write(f"Fetched {sum(counts.values()) + not_stored} email(s): {summary}.")
        if counts.get("failed"):
            self.stdout.write(f"{counts['failed']} email(s) could not be processed; see Inbound emails in admin.")
        if not_stored:
            raise CommandError(f"{not_stored} email(s) could not be stored and stay unseen for the next run.")

    def _fetch(self, config: ImapConfig, *, limit: int) -> tuple[Counter, int]:
        conn = imap_connect(config)
        counts: Counter = Counter()
        not_stored = 0
        try:
            status, _ = conn.select(config.mailbox)
            if status != "OK":
                raise CommandError(f"The IMAP server has no mailbox {config.mailbox!r}.")
            status, data = conn.uid("SEARCH", None, "UNSEEN")
            if status != "OK":
                raise CommandError(f"The IMAP server refused to search {config.mailbox!r}: {data!r}")
            uids = (data[0] or b"").split()[:limit]
            for done, uid in enumerate(uids):
                try:
                    outcome = self._fetch_one(conn, uid)
                except (OSError, imaplib.IMAP4.error) as exc:
                    # What is stored stays stored; the rest is still unseen for the next run.
                    raise CommandError(f"The IMAP connection failed after {done} email(s): {exc}") from exc
                if outcome is None:
                    not_stored += 1
                else:
                    counts[outcome] += 1
        finally:
            _logout(conn)
        return counts, not_stored

    def _fetch_one(self, conn: imaplib.IMAP4, uid: bytes) -> str | None:
        """Fetch, store and mark one email seen; the stored outcome, or None if it could not be stored."""
        # BODY.PEEK leaves \Seen alone: an email is marked seen only once it is stored.
        status, data = conn.uid("FETCH", uid, "(BODY.PEEK[])")
        raw = _fetched_bytes(data) if status == "OK" else None
        if raw is None:
            logger.error("IMAP FETCH of uid %s returned no message: %r", uid, status)
            return None
        try:
            inbound = email_ingest(raw=raw)
        except Exception:
            logger.exception("Email uid %s could not be stored; it stays unseen", uid)
            return None
        # Should this STORE be lost, the next run fetches the email again and ingest ignores it as already seen.
        conn.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        return inbound.outcome
