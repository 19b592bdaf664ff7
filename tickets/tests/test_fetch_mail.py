"""manage.py fetch_mail against a fake IMAP server (the only thing mocked: the outside world)."""

from __future__ import annotations

import imaplib
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.utils import timezone

from tickets.management.commands import fetch_mail
from tickets.models import InboundEmail, JobLock, Queue, Ticket

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
IMAP_URL = "imaps://support%40shop.example:s3cret%2Fpass@imap.shop.example:993/INBOX"


class FakeMailbox:
    """What the IMAP server holds: uid → [raw bytes, flags]. Records every connection made."""

    def __init__(self) -> None:
        self.messages: dict[bytes, list] = {}
        self.connections: list[FakeIMAP] = []
        self.password = "s3cret/pass"
        self.on_fetch = None  # a hook run while a message is being fetched

    def add(self, uid: int, raw: bytes, *, seen: bool = False) -> None:
        self.messages[str(uid).encode()] = [raw, {"\\Seen"} if seen else set()]

    def seen(self) -> list[int]:
        return sorted(int(uid) for uid, (_, flags) in self.messages.items() if "\\Seen" in flags)


class FakeIMAP:
    """Implements the few imaplib calls fetch_mail makes, with imaplib's answer shapes."""

    error = imaplib.IMAP4.error
    abort = imaplib.IMAP4.abort
    mailbox: FakeMailbox

    def __init__(self, host, port, ssl_context=None, timeout=None):
        self.host, self.port, self.timeout = host, port, timeout
        self.capabilities = ("IMAP4REV1", "STARTTLS")
        self.commands: list[tuple] = []
        self.logged_in_as = None
        self.tls_started = False
        self.logged_out = False
        self.mailbox.connections.append(self)

    def starttls(self, ssl_context=None):
        self.tls_started = True
        return "OK", [b"Begin TLS negotiation now"]

    def login(self, user, password):
        if password != self.mailbox.password:
            raise self.error(b"[AUTHENTICATIONFAILED] Invalid credentials (Failure)")
        self.logged_in_as = user
        return "OK", [b"Logged in"]

    def select(self, mailbox="INBOX"):
        assert self.logged_in_as, "SELECT before LOGIN"
        if mailbox != "INBOX":
            return "NO", [b"Mailbox doesn't exist"]
        return "OK", [str(len(self.mailbox.messages)).encode()]

    def uid(self, command, *args):
        self.commands.append((command, *args))
        if command == "SEARCH":
            assert args == (None, "UNSEEN")
            unseen = [uid for uid, (_, flags) in self.mailbox.messages.items() if "\\Seen" not in flags]
            return "OK", [b" ".join(unseen)]
        if command == "FETCH":
            uid, spec = args
            assert spec == "(BODY.PEEK[])"  # PEEK: fetching alone must not mark the message seen
            raw = self.mailbox.messages[uid][0]
            if self.mailbox.on_fetch:
                self.mailbox.on_fetch()
            return "OK", [(b"1 (UID " + uid + b" BODY[] {" + str(len(raw)).encode() + b"}", raw), b")"]
        if command == "STORE":
            uid, op, flags = args
            assert (op, flags) == ("+FLAGS", "(\\Seen)")
            self.mailbox.messages[uid][1].add("\\Seen")
            return "OK", [b"1 (FLAGS (\\Seen))"]
        raise AssertionError(f"unexpected IMAP command {command}")

    def logout(self):
        self.logged_out = True
        return "BYE", [b"Logging out"]


@pytest.fixture
def imap(monkeypatch, settings):
    settings.IMAP_URL = IMAP_URL
    mailbox = FakeMailbox()
    fake = type("BoundFakeIMAP", (FakeIMAP,), {"mailbox": mailbox})
    monkeypatch.setattr(imaplib, "IMAP4_SSL", fake)
    monkeypatch.setattr(imaplib, "IMAP4", fake)
    return mailbox


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # These tests are about routing; the sender check (SPF/DKIM/DMARC) has its own, in
    # tests/security/test_first_hour.py, with the default of holding unverified mail.
    settings.INBOUND_EMAIL_UNVERIFIED = "accept"


@pytest.fixture
def queue(db):
    return Queue.objects.create(name="General", slug="general")


def eml(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def run(*args) -> str:
    out = io.StringIO()
    call_command("fetch_mail", *args, stdout=out)
    return out.getvalue()


def test_fetches_unseen_mail_and_marks_it_seen(imap, queue):
    imap.add(1, eml("x_priority.eml"), seen=True)  # read by someone already: left alone
    imap.add(2, eml("new_request.eml"))
    imap.add(3, eml("bulk.eml"))
    imap.add(4, eml("garbage.eml"))

    output = run()

    assert output.splitlines() == [
        "Fetched 3 email(s): created 1, failed 1, ignored 1.",
        "1 email(s) could not be processed; see Inbound emails in admin.",
    ]
    assert imap.seen() == [1, 2, 3, 4]
    assert sorted(InboundEmail.objects.values_list("outcome", flat=True)) == ["created", "failed", "ignored"]
    assert Ticket.objects.get().requester.email == "bob@example.net"
    (conn,) = imap.connections
    assert (conn.host, conn.port, conn.logged_in_as) == ("imap.shop.example", 993, "support@shop.example")
    assert [c[:2] for c in conn.commands if c[0] == "FETCH"] == [("FETCH", b"2"), ("FETCH", b"3"), ("FETCH", b"4")]
    assert conn.logged_out
    assert not JobLock.objects.exists()


def test_second_run_finds_nothing_new(imap, queue):
    imap.add(1, eml("new_request.eml"))
    run()

    output = run()

    assert output.strip() == "Fetched 0 email(s): no new email."
    assert InboundEmail.objects.count() == 1


def test_limit_leaves_the_rest_for_the_next_run(imap, queue):
    imap.add(1, eml("new_request.eml"))
    imap.add(2, eml("bulk.eml"))

    run("--limit", "1")

    assert imap.seen() == [1]
    assert InboundEmail.objects.count() == 1


def test_a_run_never_overlaps_another(imap, queue):
    # While the first run is fetching, a second run starts: it must not touch the mailbox.
    imap.add(1, eml("new_request.eml"))
    second_outputs = []

    def second_run():
        imap.on_fetch = None
        second_outputs.append(run())

    imap.on_fetch = second_run

    first_output = run()

    assert second_outputs == ["another fetch_mail run holds the lock; nothing fetched.\n"]
    assert len(imap.connections) == 1
    assert first_output.strip() == "Fetched 1 email(s): created 1."
    assert InboundEmail.objects.count() == 1
    assert not JobLock.objects.exists()


def test_lock_held_elsewhere_touches_nothing(imap, queue):
    expires = timezone.now() + timedelta(minutes=5)
    JobLock.objects.create(name="fetch_mail", holder="other-host:123", expires_at=expires)
    imap.add(1, eml("new_request.eml"))

    output = run()

    assert output.strip() == "another fetch_mail run holds the lock; nothing fetched."
    assert imap.connections == []
    assert imap.seen() == []
    assert InboundEmail.objects.count() == 0
    assert JobLock.objects.get().holder == "other-host:123"


def test_expired_lock_is_taken_over(imap, queue):
    JobLock.objects.create(name="fetch_mail", holder="dead-host:1", expires_at=timezone.now() - timedelta(seconds=1))
    imap.add(1, eml("new_request.eml"))

    run()

    assert imap.seen() == [1]
    assert not JobLock.objects.exists()


def test_mail_that_cannot_be_stored_stays_unseen(imap, queue, monkeypatch):
    # The database goes away while the second email is stored: it must be fetched again next run.
    real_ingest = fetch_mail.email_ingest

    def flaky_ingest(*, raw):
        if b"Precedence: bulk" in raw:
            raise OperationalError("database is locked")
        return real_ingest(raw=raw)

    monkeypatch.setattr(fetch_mail, "email_ingest", flaky_ingest)
    imap.add(1, eml("new_request.eml"))
    imap.add(2, eml("bulk.eml"))
    imap.add(3, eml("html_only.eml"))

    with pytest.raises(CommandError) as excinfo:
        run()

    assert str(excinfo.value) == "1 email(s) could not be stored and stay unseen for the next run."
    assert excinfo.value.returncode == 1
    assert imap.seen() == [1, 3]
    assert InboundEmail.objects.count() == 2
    assert not JobLock.objects.exists()


def test_missing_imap_url_is_a_clear_error(imap, settings):
    settings.IMAP_URL = ""

    with pytest.raises(CommandError, match=r"^IMAP_URL is not set"):
        run()

    assert imap.connections == []
    assert not JobLock.objects.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("pop3://u:p@host/INBOX", "IMAP_URL must start with imaps:// or imap://, not pop3://."),
        ("imaps://host:993/INBOX", "IMAP_URL needs a user, a password and a host"),
        ("imaps://u:p@host:99999/INBOX", "IMAP_URL has an invalid port."),
    ],
)
def test_bad_imap_url_is_a_clear_error(imap, settings, url, message):
    settings.IMAP_URL = url

    with pytest.raises(CommandError) as excinfo:
        run()

    assert str(excinfo.value).startswith(message)
    assert imap.connections == []


def test_refused_login_is_a_clear_error_and_releases_the_lock(imap, queue):
    imap.password = "something else"
    imap.add(1, eml("new_request.eml"))

    with pytest.raises(CommandError) as excinfo:
        run()

    assert str(excinfo.value).startswith(
        "The IMAP server imap.shop.example refused the login for support@shop.example:"
    )
    assert "s3cret" not in str(excinfo.value)
    assert excinfo.value.returncode == 1
    assert imap.connections[0].logged_out
    assert imap.seen() == []
    assert InboundEmail.objects.count() == 0
    assert not JobLock.objects.exists()


def test_unknown_mailbox_is_a_clear_error(imap, settings):
    settings.IMAP_URL = IMAP_URL.replace("/INBOX", "/Support")

    with pytest.raises(CommandError, match=r"^The IMAP server has no mailbox 'Support'\.$"):
        run()

    assert not JobLock.objects.exists()


def test_plain_imap_url_upgrades_with_starttls(imap, settings, queue):
    settings.IMAP_URL = "imap://desk:s3cret%2Fpass@mail.shop.example/INBOX"
    imap.add(1, eml("new_request.eml"))

    run()

    (conn,) = imap.connections
    assert (conn.host, conn.port, conn.tls_started) == ("mail.shop.example", 143, True)
    assert imap.seen() == [1]


def test_plain_imap_without_starttls_is_refused_for_remote_hosts(imap, settings, monkeypatch):
    settings.IMAP_URL = "imap://desk:s3cret%2Fpass@mail.shop.example/INBOX"
    monkeypatch.setattr(FakeIMAP, "starttls", None)
    original_init = FakeIMAP.__init__

    def no_starttls(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.capabilities = ("IMAP4REV1",)

    monkeypatch.setattr(FakeIMAP, "__init__", no_starttls)

    with pytest.raises(CommandError, match="does not offer STARTTLS"):
        run()

    assert imap.connections[0].logged_in_as is None


def test_connection_lost_midway_keeps_what_was_stored(imap, queue):
    imap.add(1, eml("new_request.eml"))
    imap.add(2, eml("html_only.eml"))
    fetched = []

    def drop_on_second_fetch():
        fetched.append(1)
        if len(fetched) == 2:
            raise imaplib.IMAP4.abort("socket error: EOF")

    imap.on_fetch = drop_on_second_fetch

    with pytest.raises(CommandError) as excinfo:
        run()

    assert str(excinfo.value) == "The IMAP connection failed after 1 email(s): socket error: EOF"
    assert imap.seen() == [1]
    assert InboundEmail.objects.count() == 1
    assert not JobLock.objects.exists()
