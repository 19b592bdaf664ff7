"""tickets.email_in.email_ingest and manage.py ingest_email, fed with real .eml files."""

from __future__ import annotations

import io
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.storage import FileSystemStorage
from django.core.management import CommandError, call_command
from django.db import OperationalError

from accounts.models import Notification, Role, User
from accounts.tests.factories import AgentFactory, CustomerFactory
from tickets import services
from tickets.email_in import email_ingest, html_to_text, strip_quoted_reply
from tickets.models import (
    Attachment,
    Channel,
    InboundEmail,
    Message,
    Priority,
    Queue,
    SLAPolicy,
    Status,
    Ticket,
    TicketEvent,
)

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_bytes(name: str, ticket: Ticket | None = None) -> bytes:
    """A fixture's bytes, with the placeholders filled from a real ticket's signed token."""
    raw = (FIXTURES / name).read_bytes()
    if ticket is not None:
        raw = raw.replace(b"{{TOKEN}}", services.reply_token(ticket).encode())
        raw = raw.replace(b"{{REFERENCE}}", ticket.reference.encode())
    return raw


def state() -> dict:
    """Everything an inbound email could change, counted."""
    return {
        "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(),
        "attachments": Attachment.objects.count(),
        "events": TicketEvent.objects.count(),
        "users": User.objects.count(),
        "notifications": Notification.objects.count(),
    }


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # These tests are about routing; the sender check (SPF/DKIM/DMARC) has its own, in
    # tests/security/test_first_hour.py, with the default of holding unverified mail.
    settings.INBOUND_EMAIL_UNVERIFIED = "accept"


@pytest.fixture
def queue(db):
    SLAPolicy.objects.create(priority=Priority.NORMAL, first_response_minutes=60, resolution_minutes=480)
    SLAPolicy.objects.create(priority=Priority.LOW, first_response_minutes=240, resolution_minutes=2880)
    return Queue.objects.create(name="General", slug="general")


@pytest.fixture
def support_agent(queue):
    agent = AgentFactory(email="agent@stockdesk.local")
    queue.agents.add(agent)
    return agent


@pytest.fixture
def ann_ticket(queue, support_agent):
    ann = CustomerFactory(email="ann@example.com", name="Ann Customer")
    return services.ticket_create(
        requester=ann, queue=queue, subject="Where is my parcel?", description="It has not arrived yet."
    )


# --- new tickets ----------------------------------------------------------------------


def test_unknown_sender_opens_ticket_with_new_customer_account(queue, django_capture_on_commit_callbacks):
    raw = fixture_bytes("new_request.eml")

    with django_capture_on_commit_callbacks(execute=True):
        inbound = email_ingest(raw=raw)

    ticket = Ticket.objects.get()
    assert inbound.outcome == InboundEmail.Outcome.CREATED
    assert inbound.reason == f"new ticket {ticket.reference}"
    assert inbound.ticket == ticket
    assert inbound.message_id == "<new-request-1@mail.example.net>"
    assert inbound.sender == "bob@example.net"
    assert inbound.subject == "My order arrived damaged"
    assert bytes(inbound.raw) == raw
    bob = ticket.requester
    assert bob.email == "bob@example.net"
    assert bob.name == "Bob Buyer"
    assert not bob.has_usable_password()
    assert list(bob.groups.values_list("name", flat=True)) == [Role.CUSTOMER]
    assert ticket.queue == queue
    assert ticket.channel == Channel.EMAIL
    assert ticket.priority == Priority.NORMAL
    assert ticket.subject == "My order arrived damaged"
    assert ticket.description == (
        "Hello,\n\nThe blue kettle from order 1042 arrived with a cracked lid.\nCan you send a replacement?\n\nBob"
    )
    message = ticket.messages.get()
    assert message.email_message_id == "<new-request-1@mail.example.net>"
    assert message.channel == Channel.EMAIL
    assert list(Notification.objects.values_list("recipient", "idempotency_key")) == [
        ("bob@example.net", f"ticket-created:{ticket.pk}:email")
    ]
    assert [m.to for m in mail.outbox] == [["bob@example.net"]]


def test_known_sender_is_matched_case_insensitively(queue):
    bob = CustomerFactory(email="bob@example.net")
    users_before = User.objects.count()

    inbound = email_ingest(raw=fixture_bytes("new_request.eml"))  # From: Bob@Example.NET

    assert inbound.outcome == InboundEmail.Outcome.CREATED
    assert inbound.ticket.requester == bob
    assert User.objects.count() == users_before


def test_default_queue_setting_picks_the_queue(queue, settings):
    returns = Queue.objects.create(name="Returns", slug="returns", position=5)
    settings.TICKET_EMAIL_DEFAULT_QUEUE = "returns"

    inbound = email_ingest(raw=fixture_bytes("new_request.eml"))

    assert inbound.ticket.queue == returns


def test_missing_default_queue_falls_back_to_first_active_queue(db, settings):
    Queue.objects.create(name="Closed desk", slug="closed", position=0, is_active=False)
    sales = Queue.objects.create(name="Sales", slug="sales", position=1)
    settings.TICKET_EMAIL_DEFAULT_QUEUE = "general"  # does not exist

    inbound = email_ingest(raw=fixture_bytes("new_request.eml"))

    assert inbound.ticket.queue == sales


def test_no_active_queue_fails_and_changes_nothing_then_replays(db, django_capture_on_commit_callbacks):
    raw = fixture_bytes("new_request.eml")
    before = state()

    with django_capture_on_commit_callbacks(execute=True):
        inbound = email_ingest(raw=raw)

    assert inbound.outcome == InboundEmail.Outcome.FAILED
    assert inbound.reason == "no active queue takes new tickets"
    assert inbound.message_id == "<new-request-1@mail.example.net>"
    assert state() == before
    assert mail.outbox == []

    # A failed email may be fed again once the cause is fixed (the raw bytes are kept for this).
    Queue.objects.create(name="General", slug="general")
    replay = email_ingest(raw=bytes(inbound.raw))
    assert replay.outcome == InboundEmail.Outcome.CREATED
    assert Ticket.objects.count() == 1


def test_duplicate_message_id_adds_nothing(queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = email_ingest(raw=fixture_bytes("new_request.eml"))
    before = state()
    sent = len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        again = email_ingest(raw=fixture_bytes("duplicate_message_id.eml"))
        same_bytes = email_ingest(raw=fixture_bytes("new_request.eml"))

    assert first.outcome == InboundEmail.Outcome.CREATED
    for inbound in (again, same_bytes):
        assert inbound.outcome == InboundEmail.Outcome.IGNORED
        assert inbound.reason == "already seen"
        assert inbound.ticket is None
    assert state() == before
    assert len(mail.outbox) == sent
    assert InboundEmail.objects.count() == 3


def test_message_id_seen_on_a_message_is_ignored(ann_ticket):
    Message.objects.filter(ticket=ann_ticket).update(email_message_id="<new-request-1@mail.example.net>")
    before = state()

    inbound = email_ingest(raw=fixture_bytes("new_request.eml"))

    assert (inbound.outcome, inbound.reason) == (InboundEmail.Outcome.IGNORED, "already seen")
    assert state() == before


def test_mail_without_message_id_is_recognised_by_its_bytes(queue):
    raw = b"From: kim@example.com\nSubject: no id\n\nHello, no Message-ID here.\n"

    first = email_ingest(raw=raw)
    second = email_ingest(raw=raw)

    assert first.outcome == InboundEmail.Outcome.CREATED
    assert first.message_id.startswith("<sha256.")
    assert (second.outcome, second.message_id) == (InboundEmail.Outcome.IGNORED, first.message_id)
    assert Ticket.objects.count() == 1


def test_x_priority_never_changes_priority(queue):
    inbound = email_ingest(raw=fixture_bytes("x_priority.eml"))

    assert inbound.outcome == InboundEmail.Outcome.CREATED
    assert inbound.ticket.priority == Priority.NORMAL
    assert not TicketEvent.objects.filter(kind=TicketEvent.Kind.PRIORITY).exists()


def test_x_priority_on_a_reply_leaves_the_ticket_priority(ann_ticket):
    Ticket.objects.filter(pk=ann_ticket.pk).update(priority=Priority.LOW)
    raw = fixture_bytes("reply_with_token.eml", ann_ticket).replace(
        b"MIME-Version: 1.0\n", b"X-Priority: 1 (Highest)\nImportance: high\nMIME-Version: 1.0\n", 1
    )

    inbound = email_ingest(raw=raw)

    assert inbound.outcome == InboundEmail.Outcome.THREADED
    ann_ticket.refresh_from_db()
    assert ann_ticket.priority == Priority.LOW


# --- threading ------------------------------------------------------------------------


def test_reply_with_token_from_requester_threads(ann_ticket, support_agent, django_capture_on_commit_callbacks):
    Ticket.objects.filter(pk=ann_ticket.pk).update(status=Status.WAITING)
    before = state()

    with django_capture_on_commit_callbacks(execute=True):
        inbound = email_ingest(raw=fixture_bytes("reply_with_token.eml", ann_ticket))

    assert inbound.outcome == InboundEmail.Outcome.THREADED
    assert inbound.reason == f"reply on {ann_ticket.reference}"
    assert inbound.ticket == ann_ticket
    assert Ticket.objects.count() == before["tickets"]
    assert User.objects.count() == before["users"]
    reply = ann_ticket.messages.order_by("-id").first()
    # The quoted conversation below "On … wrote:" is not stored again.
    assert reply.body == "Thanks, the tracking number works now."
    assert reply.author == ann_ticket.requester
    assert reply.author_kind == Message.AuthorKind.CUSTOMER
    assert reply.channel == Channel.EMAIL
    assert reply.email_message_id == "<reply-ann-1@mail.example.com>"
    ann_ticket.refresh_from_db()
    assert ann_ticket.status == Status.OPEN
    # The assignee hears of the reply; the customer gets no automatic answer to their reply.
    assert [m.to for m in mail.outbox] == [[support_agent.email]]


def test_reply_to_closed_ticket_opens_linked_follow_up(ann_ticket):
    Ticket.objects.filter(pk=ann_ticket.pk).update(status=Status.CLOSED)

    inbound = email_ingest(raw=fixture_bytes("reply_with_token.eml", ann_ticket))

    follow_up = Ticket.objects.exclude(pk=ann_ticket.pk).get()
    assert inbound.outcome == InboundEmail.Outcome.CREATED
    assert inbound.reason == f"follow-up of {ann_ticket.reference}, which is closed"
    assert inbound.ticket == follow_up
    assert follow_up.follow_up_of == ann_ticket
    assert follow_up.requester == ann_ticket.requester
    assert follow_up.channel == Channel.EMAIL


def test_token_from_a_stranger_opens_a_new_ticket(ann_ticket):
    messages_before = list(ann_ticket.messages.values_list("pk", flat=True))

    inbound = email_ingest(raw=fixture_bytes("reply_from_stranger.eml", ann_ticket))

    new = Ticket.objects.exclude(pk=ann_ticket.pk).get()
    assert inbound.outcome == InboundEmail.Outcome.CREATED
    assert inbound.ticket == new
    assert inbound.reason == (
        f"new ticket {new.reference}; reply token of {ann_ticket.reference} but the sender is not its requester"
    )
    assert new.requester.email == "mallory@elsewhere.example"
    assert new.follow_up_of is None
    assert list(ann_ticket.messages.values_list("pk", flat=True)) == messages_before


def test_forged_token_from_the_requester_opens_a_new_ticket(ann_ticket):
    token = services.reply_token(ann_ticket)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    raw = fixture_bytes("reply_with_token.eml", ann_ticket).replace(token.encode(), forged.encode())
    messages_before = ann_ticket.messages.count()

    inbound = email_ingest(raw=raw)

    assert inbound.outcome == InboundEmail.Outcome.CREATED
    assert inbound.ticket != ann_ticket
    assert inbound.ticket.requester == ann_ticket.requester
    assert ann_ticket.messages.count() == messages_before


def test_token_of_another_customers_ticket_does_not_thread(ann_ticket, queue):
    # Bob has his own ticket, but pastes Ann's token: he must not write on Ann's ticket.
    bob = CustomerFactory(email="bob@example.net")
    services.ticket_create(requester=bob, queue=queue, subject="Mine", description="My own ticket.")
    raw = fixture_bytes("reply_with_token.eml", ann_ticket).replace(b"Ann@Example.com", b"bob@example.net")
    ann_messages = ann_ticket.messages.count()

    inbound = email_ingest(raw=raw)

    assert inbound.outcome == InboundEmail.Outcome.CREATED
    assert inbound.ticket.requester == bob
    assert ann_ticket.messages.count() == ann_messages


# --- loop protection ------------------------------------------------------------------


def test_auto_reply_adds_nothing_and_sends_nothing(ann_ticket, django_capture_on_commit_callbacks):
    before = state()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        inbound = email_ingest(raw=fixture_bytes("auto_reply.eml", ann_ticket))

    assert inbound.outcome == InboundEmail.Outcome.IGNORED
    assert inbound.reason == "automated mail (Auto-Submitted: auto-replied)"
    assert inbound.ticket is None
    assert state() == before
    assert callbacks == []
    assert mail.outbox == []


def test_bulk_mail_adds_nothing(queue, django_capture_on_commit_callbacks):
    before = state()

    with django_capture_on_commit_callbacks(execute=True):
        inbound = email_ingest(raw=fixture_bytes("bulk.eml"))

    assert (inbound.outcome, inbound.reason) == (InboundEmail.Outcome.IGNORED, "bulk mail (Precedence: bulk)")
    assert state() == before
    assert mail.outbox == []


def plain_email(sender: str = "kim@example.com", **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@stockdesk.local"
    msg["Subject"] = "Hello"
    msg["Message-ID"] = "<plain-1@example.com>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("A message.")
    return msg.as_bytes()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (plain_email(Auto_Submitted="auto-generated"), "automated mail (Auto-Submitted: auto-generated)"),
        (plain_email(Precedence="junk"), "bulk mail (Precedence: junk)"),
        (plain_email(Precedence="list"), "bulk mail (Precedence: list)"),
        (plain_email(X_Autoreply="yes"), "automated or list mail (X-Autoreply header)"),
        (plain_email(X_Autorespond="Out of office"), "automated or list mail (X-Autorespond header)"),
        (plain_email(List_Id="<deals.lists.example>"), "automated or list mail (List-Id header)"),
        (plain_email(List_Unsubscribe="<mailto:u@x.example>"), "automated or list mail (List-Unsubscribe header)"),
        (plain_email("MAILER-DAEMON@mx.example.com"), "mail from mailer-daemon"),
        (plain_email("Postmaster <postmaster@example.com>"), "mail from postmaster"),
        (plain_email("Support <SUPPORT@stockdesk.local>"), "mail from our own address"),
        (plain_email("no-reply@stockdesk.local"), "mail from our own address"),
        (plain_email(X_StockDesk_Notification="17"), "automated or list mail (X-StockDesk-Notification header)"),
    ],
)
def test_machine_mail_is_ignored(queue, raw, reason):
    before = state()

    inbound = email_ingest(raw=raw)

    assert (inbound.outcome, inbound.reason) == (InboundEmail.Outcome.IGNORED, reason)
    assert state() == before


def test_bounce_report_is_ignored(queue):
    raw = (
        b"From: Mail Delivery System <bounces@mx.example.com>\nSubject: Undelivered\nMessage-ID: <dsn-1@mx>\n"
        b'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\nDelivery failed.\n--b--\n"
    )

    inbound = email_ingest(raw=raw)

    assert (inbound.outcome, inbound.reason) == (InboundEmail.Outcome.IGNORED, "delivery report (bounce)")
    assert Ticket.objects.count() == 0


def test_auto_submitted_no_is_a_person(queue):
    inbound = email_ingest(raw=plain_email(Auto_Submitted="no"))

    assert inbound.outcome == InboundEmail.Outcome.CREATED


# --- content: HTML, attachments, encodings --------------------------------------------


def test_html_only_mail_is_stored_as_safe_text(queue):
    inbound = email_ingest(raw=fixture_bytes("html_only.eml"))

    ticket = inbound.ticket
    assert inbound.outcome == InboundEmail.Outcome.CREATED
    assert ticket.subject == "Question about réturns"
    assert ticket.description == (
        "Hello & good morning,\n\nCan I return the kettle <model K2> within 30 days?\n\nThanks,\nCarla"
    )
    assert ticket.messages.get().body == ticket.description
    for unsafe in ("<script", "document.cookie", "alert", "onerror", "<p>", "color: red"):
        assert unsafe not in ticket.description


def test_html_to_text_drops_markup():
    assert html_to_text("<p>a&lt;b&gt;</p><SCRIPT>x()</SCRIPT><style>p{}</style><p>c &amp; d</p>") == "a<b>\n\nc & d"


def test_strip_quoted_reply_keeps_everything_when_only_quotes():
    assert strip_quoted_reply("> only a quote") == "> only a quote"
    assert strip_quoted_reply("New text\n\n-----Original Message-----\nFrom: x") == "New text"


def test_attachments_are_stored_and_html_refused(queue):
    inbound = email_ingest(raw=fixture_bytes("attachments.eml"))

    ticket = inbound.ticket
    assert inbound.outcome == InboundEmail.Outcome.CREATED
    attachments = list(ticket.attachments.order_by("original_name"))
    assert [(a.original_name, a.content_type, a.size, a.extension) for a in attachments] == [
        ("damage.png", "image/png", 69, ".png"),
        ("invoice.pdf", "application/pdf", 77, ".pdf"),
    ]
    message = ticket.messages.get()
    assert all(a.message == message for a in attachments)
    assert attachments[0].file.read().startswith(b"\x89PNG\r\n")
    assert attachments[1].file.read().startswith(b"%PDF-1.4")
    assert message.body == (
        "The invoice and a photo are attached.\n\n"
        "[attachment page.html was not accepted: “page.html”: this kind of file is not accepted "
        "(HTML, SVG, scripts and programs).]"
    )


def test_more_files_than_allowed_keeps_the_first_ones(queue, settings):
    settings.TICKET_ATTACHMENTS_PER_MESSAGE = 2
    msg = EmailMessage()
    msg["From"] = "kim@example.com"
    msg["Subject"] = "Three logs"
    msg["Message-ID"] = "<logs-1@example.com>"
    msg.set_content("")  # no text at all: the body says so
    for n in (1, 2, 3):
        msg.add_attachment(f"log {n}".encode(), maintype="text", subtype="plain", filename=f"app{n}.log")

    inbound = email_ingest(raw=msg.as_bytes())

    assert inbound.outcome == InboundEmail.Outcome.CREATED
    assert sorted(inbound.ticket.attachments.values_list("original_name", flat=True)) == ["app1.log", "app2.log"]
    assert inbound.ticket.description == (
        "(This email had no text; see the attached files.)\n\n"
        "[attachment app3.log was not accepted: at most 2 files per message]"
    )


def test_latin1_quoted_printable_and_rfc2047_subject(queue):
    inbound = email_ingest(raw=fixture_bytes("latin1_qp.eml"))

    ticket = inbound.ticket
    assert inbound.outcome == InboundEmail.Outcome.CREATED
    # 0x96 is an en dash in Windows-1252, which is what "ISO-8859-1" mail really uses.
    assert ticket.subject == "Cafétera rota \u2013 pedido nº 77"
    assert inbound.subject == "Cafétera rota \u2013 pedido nº 77"
    assert ticket.description == "La cafetera llegó rota. ¿Pueden cambiarla? Gracias \u2013 José"
    assert ticket.requester.name == "José María"


def test_unknown_charset_is_decoded_with_replacement(queue):
    inbound = email_ingest(raw=fixture_bytes("unknown_charset.eml"))

    assert inbound.outcome == InboundEmail.Outcome.CREATED
    assert inbound.ticket.description == "Grüße, the lid is \ufffd broken"


# --- broken mail and failures ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("broken_truncated.eml", "malformed or truncated MIME structure (StartBoundaryNotFoundDefect)"),
        ("garbage.eml", "no sender address (From header missing or unreadable)"),
    ],
)
def test_broken_mail_is_kept_as_failed(queue, name, reason, django_capture_on_commit_callbacks):
    raw = fixture_bytes(name)
    before = state()

    with django_capture_on_commit_callbacks(execute=True):
        inbound = email_ingest(raw=raw)

    assert (inbound.outcome, inbound.reason) == (InboundEmail.Outcome.FAILED, reason)
    assert bytes(inbound.raw) == raw
    assert inbound.ticket is None
    assert state() == before
    assert mail.outbox == []


def test_invalid_sender_address_fails(queue):
    inbound = email_ingest(raw=b'From: "unterminated <\nSubject: hi\nMessage-ID: <bad-from@x>\n\nHello\n')

    assert inbound.outcome == InboundEmail.Outcome.FAILED
    assert inbound.reason.startswith("the sender address")
    assert Ticket.objects.count() == 0


def test_deactivated_sender_fails(queue):
    CustomerFactory(email="bob@example.net", is_active=False)
    before = state()

    inbound = email_ingest(raw=fixture_bytes("new_request.eml"))

    assert (inbound.outcome, inbound.reason) == (InboundEmail.Outcome.FAILED, "the sender's account is deactivated")
    assert state() == before


def test_failure_midway_rolls_back_everything_but_the_failed_row(
    queue, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    # The disk fills up while the second attachment is written: the outside world fails.
    def disk_full(self, name, content):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", disk_full)
    before = state()

    with django_capture_on_commit_callbacks(execute=True):
        inbound = email_ingest(raw=fixture_bytes("attachments.eml"))

    assert inbound.outcome == InboundEmail.Outcome.FAILED
    assert inbound.reason == "OSError: [Errno 28] No space left on device"
    assert inbound.message_id == "<attachments-1@example.com>"
    assert inbound.sender == "dan@example.com"
    assert state() == before  # not even the new customer account is left behind
    assert InboundEmail.objects.count() == 1
    assert mail.outbox == []
    assert "Inbound email could not be processed" in caplog.text


# --- manage.py ingest_email -----------------------------------------------------------


def test_command_ingests_a_file(queue, capsys):
    call_command("ingest_email", str(FIXTURES / "new_request.eml"))

    inbound = InboundEmail.objects.get()
    assert capsys.readouterr().out.strip() == (
        f"Opened a ticket: new ticket {inbound.ticket.reference} (inbound email #{inbound.pk})"
    )


def test_command_reads_stdin(queue, monkeypatch, capsys):
    raw = fixture_bytes("bulk.eml")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))

    call_command("ingest_email")  # no path: stdin, as a mail server's pipe calls it

    inbound = InboundEmail.objects.get()
    assert bytes(inbound.raw) == raw
    assert inbound.outcome == InboundEmail.Outcome.IGNORED
    assert capsys.readouterr().out.startswith("Ignored: bulk mail (Precedence: bulk)")


def test_command_exits_1_when_the_mail_failed(queue):
    with pytest.raises(CommandError) as excinfo:
        call_command("ingest_email", str(FIXTURES / "garbage.eml"))

    inbound = InboundEmail.objects.get()
    assert excinfo.value.returncode == 1
    assert str(excinfo.value) == (
        f"Failed: no sender address (From header missing or unreadable) (kept as inbound email #{inbound.pk})"
    )


def test_command_exits_2_on_missing_file(queue, tmp_path):
    with pytest.raises(CommandError) as excinfo:
        call_command("ingest_email", str(tmp_path / "nope.eml"))

    assert excinfo.value.returncode == 2
    assert str(excinfo.value).startswith(f"Cannot read {tmp_path / 'nope.eml'}")
    assert InboundEmail.objects.count() == 0


def test_command_exits_2_on_empty_stdin(queue, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))

    with pytest.raises(CommandError) as excinfo:
        call_command("ingest_email", "-")

    assert excinfo.value.returncode == 2
    assert str(excinfo.value) == "No email to ingest: stdin is empty."
    assert InboundEmail.objects.count() == 0


def test_command_exits_75_when_the_mail_cannot_be_stored(queue, monkeypatch):
    # The database is down: a mail server seeing EX_TEMPFAIL keeps the email and retries later.
    from tickets.management.commands import ingest_email

    def database_down(*, raw):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(ingest_email, "email_ingest", database_down)

    with pytest.raises(CommandError) as excinfo:
        call_command("ingest_email", str(FIXTURES / "new_request.eml"))

    assert excinfo.value.returncode == 75
    assert str(excinfo.value) == "Could not store the email: OperationalError: could not connect to server"


def test_from_line_in_the_customers_own_text_is_kept():
    assert strip_quoted_reply("From: my point of view it broke.\nThanks") == "From: my point of view it broke.\nThanks"


def test_raw_8bit_headers_are_decoded(queue):
    # Old mailers put Latin-1 bytes straight into headers, without RFC 2047.
    raw = b"From: Jos\xe9 Mar\xeda <jose@example.es>\nSubject: caf\xe9 cr\xe8me\nMessage-ID: <8bit-1@example.es>\n\nHola\n"

    inbound = email_ingest(raw=raw)

    assert inbound.outcome == InboundEmail.Outcome.CREATED
    assert inbound.subject == inbound.ticket.subject == "café crème"
    assert inbound.ticket.requester.name == "José María"
