"""Email in: one service turns a raw email into a ticket, a reply on a ticket, or a logged refusal.

Both ways mail arrives call :func:`email_ingest`: ``manage.py ingest_email`` (a file, or stdin
when a mail server pipes a message to it) and ``manage.py fetch_mail`` (IMAP polling).
"""

from __future__ import annotations

import codecs
import email
import email.policy
import hashlib
import logging
import re
from dataclasses import dataclass, field
from email import errors as email_errors
from email.message import EmailMessage
from email.utils import parseaddr
from html.parser import HTMLParser

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from accounts.models import Role, User

from .models import Channel, InboundEmail, Message, Queue, Ticket
from .services import (
    TicketError,
    Upload,
    attachment_validate,
    ticket_create,
    ticket_id_from_reply_token,
    ticket_reply_customer,
)

logger = logging.getLogger(__name__)

# ``[TCK-00042.<signature>]`` as written by templates/emails/_ticket_footer.txt. The signature is
# Django's URL-safe base64; the reference is checked again by unsigning, so this only finds candidates.
TOKEN_RE = re.compile(r"\[(TCK-\d{1,12}\.[A-Za-z0-9_-]{10,100})\]")

BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
# Any of these headers, whatever its value, marks mail sent by a machine or to a list.
AUTOMATED_HEADERS = ("X-Autoreply", "X-Autorespond", "List-Id", "List-Unsubscribe", "X-StockDesk-Notification")
DAEMON_LOCAL_PARTS = {"mailer-daemon", "postmaster"}
# MIME defects that mean we did not get the whole message: refusing beats storing half a message.
FATAL_DEFECTS = (
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.CloseBoundaryNotFoundDefect,
    email_errors.MultipartInvariantViolationDefect,
)
NO_TEXT_BODY = "(This email had no text; see the attached files.)"

# Lines that start the quoted earlier conversation in a reply; everything from there on is dropped.
REPLY_MARKERS = (
    re.compile(r"^On .{1,200}wrote:\s*$"),  # Gmail, Apple Mail, Thunderbird
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}\s*$", re.IGNORECASE),  # Outlook
    re.compile(r"^_{20,}\s*$"),  # Outlook web separator
    re.compile(r"^From: .*[@<].*$"),  # a quoted header block ("From: Name <address>")
    re.compile(r"^Reply to this email to add to your request"),  # our own footer, quoted without ">"
)


class EmailRejected(Exception):
    """This email cannot be processed; the message is the reason stored on the InboundEmail."""


# --- parsing ------------------------------------------------------------------------


@dataclass
class ParsedEmail:
    message_id: str
    sender: str
    sender_name: str
    subject: str
    text: str  # the whole readable text, quotes included (where reply tokens are found)
    uploads: list[Upload] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # notes on attachments that were not accepted
    automated_reason: str = ""
    sender_check: SenderCheck | None = None


# C1 control characters never appear in real text; in mail they are Windows-1252 bytes mislabelled as Latin-1.
C1_CONTROLS = re.compile("[\x80-\x9f]")
SURROGATES = re.compile("[\udc80-\udcff]")


def _fix_c1(text: str) -> str:
    return C1_CONTROLS.sub(lambda m: bytes([ord(m.group())]).decode("cp1252", errors="replace"), text)


def _unescape_8bit(text: str) -> str:
    """Undo the parser's surrogate escapes of raw 8-bit header bytes: UTF-8 if it is, else Windows-1252."""
    if not SURROGATES.search(text):
        return text
    return _decode(text.encode("utf-8", "surrogateescape"), None)


def _header(msg: EmailMessage, name: str) -> str:
    """A header as text, never raising: RFC 2047 decoded, raw 8-bit bytes decoded, whitespace collapsed."""
    raw_value = next((value for key, value in msg.raw_items() if key.lower() == name.lower()), None)
    if raw_value is None:
        return ""
    if SURROGATES.search(raw_value):
        # Not RFC 2047 but bare 8-bit bytes (common from old mailers): decode the bytes ourselves.
        value = _unescape_8bit(raw_value)
    else:
        try:
            value = str(msg.get(name) or "")
        except Exception:  # noqa: BLE001 - the stdlib header parser can raise on hostile input
            value = raw_value
    return _fix_c1(" ".join(value.replace("\x00", "").split()))


def _message_id(msg: EmailMessage, raw: bytes) -> str:
    """The Message-ID, or one derived from the bytes so a re-delivered copy is still recognised."""
    value = _header(msg, "Message-ID")
    if not value:
        return f"<sha256.{hashlib.sha256(raw).hexdigest()}@no-message-id.stockdesk>"
    if len(value) > 255:  # the column holds 255; hashing keeps long ids unique instead of truncating them
        return f"<sha256.{hashlib.sha256(value.encode('utf-8', 'replace')).hexdigest()}@long-message-id.stockdesk>"
    return value


def _sender(msg: EmailMessage) -> tuple[str, str]:
    """(lowercased address, display name) of the first From address; ("", "") when there is none."""
    try:
        header = msg.get("From")
        addresses = getattr(header, "addresses", ()) or ()
        if addresses:
            name = _fix_c1(_unescape_8bit(addresses[0].display_name or ""))
            return _unescape_8bit(addresses[0].addr_spec).strip().lower(), name
    except Exception:  # noqa: BLE001 - fall back to the lenient parser below
        logger.debug("From header did not parse strictly", exc_info=True)
    name, address = parseaddr(_header(msg, "From"))
    return address.strip().lower(), name


def _decode(payload: bytes, charset: str | None) -> str:
    """Bytes to text whatever the label says: declared charset, then UTF-8, never an exception."""
    label = (charset or "").strip().strip('"').lower()
    try:
        name = codecs.lookup(label).name if label else "ascii"
    except LookupError:
        name = "utf-8"  # an unknown label: UTF-8 is the likeliest truth today
    if name == "ascii":
        candidates = ("utf-8", "cp1252")  # 8-bit text labelled ASCII is usually UTF-8, else Windows-1252
    elif name == "iso8859-1":
        candidates = ("cp1252", "iso8859-1")  # Latin-1 labels usually mean Windows-1252 (as browsers assume)
    else:
        candidates = (name, "utf-8")
    for candidate in candidates:
        try:
            return payload.decode(candidate)
        except UnicodeDecodeError:
            continue
    return payload.decode(candidates[0], errors="replace")


def _part_text(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return _decode(payload, part.get_content_charset())


class _TextExtractor(HTMLParser):
    """HTML to plain text: keeps the words, drops scripts, styles and every tag."""

    SKIP = {"script", "style", "head", "title", "noscript", "template", "iframe", "object"}
    BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # entities are unescaped for us
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML email body; never contains markup from the input."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _normalise_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def strip_quoted_reply(text: str) -> str:
    """The new part of a reply: stops at the first reply marker and drops ``>`` quoted lines.

    Kept deliberately simple; if nothing would be left, the whole text is kept instead.
    """
    kept = []
    for line in text.split("\n"):
        if any(marker.match(line.strip()) for marker in REPLY_MARKERS):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    stripped = "\n".join(kept).strip()
    return stripped or text


def _automated_reason(msg: EmailMessage, sender: str) -> str:
    """Why this looks like machine mail (auto-reply, bounce, list, ourselves), or ""."""
    auto_submitted = _header(msg, "Auto-Submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"automated mail (Auto-Submitted: {auto_submitted})"
    precedence = _header(msg, "Precedence").lower()
    if precedence in BULK_PRECEDENCE:
        return f"bulk mail (Precedence: {precedence})"
    present = {key.lower() for key in msg}  # names only: no header value is parsed here
    for name in AUTOMATED_HEADERS:
        if name.lower() in present:
            return f"automated or list mail ({name} header)"
    if msg.get_content_type() == "multipart/report":
        return "delivery report (bounce)"
    local_part = sender.rsplit("@", 1)[0]
    if local_part in DAEMON_LOCAL_PARTS:
        return f"mail from {local_part}"
    own = {parseaddr(value)[1].lower() for value in _own_addresses()} - {""}
    if sender in own:
        return "mail from our own address"
    return ""


def _own_addresses() -> list[str]:
    return [settings.SUPPORT_EMAIL, settings.DEFAULT_FROM_EMAIL, getattr(settings, "SERVER_EMAIL", "")]


def _body_and_attachments(msg: EmailMessage) -> tuple[str, list[Upload], list[str]]:
    body_part = msg.get_body(preferencelist=("plain", "html"))
    text = ""
    if body_part is not None:
        content = _part_text(body_part)
        text = html_to_text(content) if body_part.get_content_type() == "text/html" else content
    uploads: list[Upload] = []
    refused: list[str] = []
    for part in msg.walk():
        if part is body_part or part.is_multipart():
            continue
        name = " ".join(_unescape_8bit(part.get_filename() or "").split())[:255]
        if not name:
            if part.get_content_disposition() == "attachment":
                refused.append("[an attachment without a file name was not accepted]")
            continue
        content = part.get_payload(decode=True)
        if not isinstance(content, bytes):
            content = b""
        try:
            attachment_validate(name=name, size=len(content))
        except TicketError as exc:
            refused.append(f"[attachment {name} was not accepted: {' '.join(exc.messages)}]")
            continue
        if len(uploads) >= settings.TICKET_ATTACHMENTS_PER_MESSAGE:
            limit = settings.TICKET_ATTACHMENTS_PER_MESSAGE
            refused.append(f"[attachment {name} was not accepted: at most {limit} files per message]")
            continue
        uploads.append(Upload(name=name, content=content))
    return _normalise_text(text), uploads, refused


def email_parse(raw: bytes) -> ParsedEmail:
    """Read what StockDesk needs from raw bytes. Raises ``EmailRejected`` saying why it cannot."""
    if not raw.strip():
        raise EmailRejected("empty message")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    message_id = _message_id(msg, raw)
    sender, sender_name = _sender(msg)
    subject = _header(msg, "Subject")
    parsed = ParsedEmail(message_id=message_id, sender=sender, sender_name=sender_name, subject=subject, text="")
    parsed.automated_reason = _automated_reason(msg, sender)
    if parsed.automated_reason:
        return parsed  # not read further: it will be ignored, however broken the rest is
    fatal = [defect for part in msg.walk() for defect in part.defects if isinstance(defect, FATAL_DEFECTS)]
    if fatal:
        raise EmailRejected(f"malformed or truncated MIME structure ({type(fatal[0]).__name__})")
    if not sender:
        raise EmailRejected("no sender address (From header missing or unreadable)")
    try:
        validate_email(sender)
    except ValidationError as exc:
        raise EmailRejected(f"the sender address {sender!r} is not valid") from exc
    parsed.text, parsed.uploads, parsed.refused = _body_and_attachments(msg)
    parsed.sender_check = sender_check(msg, sender)
    return parsed


# --- is the sender who From: says? ------------------------------------------------------

# One ``method=result`` with its properties, in an Authentication-Results header (RFC 8601).
_RESULT_RE = re.compile(r"\b(dmarc|dkim|spf)\s*=\s*([a-z]+)([^;]*)", re.IGNORECASE)
_PROPERTY_RE = re.compile(r"\b(header\.from|header\.d|header\.i|smtp\.mailfrom)\s*=\s*([^\s;()]+)", re.IGNORECASE)


@dataclass(frozen=True)
class SenderCheck:
    """What the receiving server found: ``passed``, or why the sender is not verified."""

    passed: bool
    reason: str


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip().strip(">").lower()


def _aligned(domain: str, sender_domain: str) -> bool:
    # DMARC's relaxed alignment: the same organisational domain, one a subdomain of the other.
    return "." in domain and (
        domain == sender_domain or domain.endswith("." + sender_domain) or sender_domain.endswith("." + domain)
    )


def _authserv_id(header: str) -> str:
    words = header.split(";", 1)[0].split()
    return words[0].lower() if words else ""


def sender_check(msg: EmailMessage, sender: str) -> SenderCheck:
    """Read the ``Authentication-Results`` that a trusted receiving server added (SPF, DKIM, DMARC).

    Only headers whose authserv-id is in ``INBOUND_EMAIL_TRUSTED_AUTHSERV_IDS`` count: anyone can
    write such a header into a message, and the receiving server adds its own on top. The sender
    is verified by a DMARC pass, or without a DMARC result by a DKIM or SPF pass for a domain
    aligned with the From: address.
    """
    trusted = {name.lower() for name in settings.INBOUND_EMAIL_TRUSTED_AUTHSERV_IDS}
    if not trusted:
        return SenderCheck(
            False, "no receiving server is trusted to check senders (INBOUND_EMAIL_TRUSTED_AUTHSERV_IDS)"
        )
    headers = [str(value) for value in msg.get_all("Authentication-Results", [])]
    ours = [header for header in headers if _authserv_id(header) in trusted]
    if not ours:
        return SenderCheck(False, "no Authentication-Results from a trusted receiving server")
    sender_domain = _domain(sender)
    results: dict[str, list[tuple[str, dict]]] = {}
    for method, result, rest in _RESULT_RE.findall(ours[0].split(";", 1)[-1]):
        properties = {key.lower(): value for key, value in _PROPERTY_RE.findall(rest)}
        results.setdefault(method.lower(), []).append((result.lower(), properties))
    for result, _properties in results.get("dmarc", []):
        if result == "pass":
            return SenderCheck(True, "DMARC pass")
        if result in ("fail", "quarantine", "reject", "permerror"):
            return SenderCheck(False, f"DMARC {result} for {sender_domain}")
    for result, properties in results.get("dkim", []):
        signer = properties.get("header.d") or _domain(properties.get("header.i", ""))
        if result == "pass" and _aligned(signer.lower(), sender_domain):
            return SenderCheck(True, f"DKIM pass for {signer.lower()}")
    for result, properties in results.get("spf", []):
        if result == "pass" and _aligned(_domain(properties.get("smtp.mailfrom", "")), sender_domain):
            return SenderCheck(True, "SPF pass")
    found = ", ".join(f"{method}={r[0][0]}" for method, r in results.items()) or "no SPF, DKIM or DMARC result"
    return SenderCheck(False, f"sender {sender_domain} not verified ({found})")


# --- routing ------------------------------------------------------------------------


def _already_seen(message_id: str) -> bool:
    # A message that failed before may be ingested again (replay after a fix); anything else was
    # handled (a held one waits for an agent: its copy is not processed behind their back).
    return (
        InboundEmail.objects.filter(message_id=message_id).exclude(outcome=InboundEmail.Outcome.FAILED).exists()
        or Message.objects.filter(email_message_id=message_id).exists()
    )


def _default_queue() -> Queue:
    slug = getattr(settings, "TICKET_EMAIL_DEFAULT_QUEUE", "general")
    queue = Queue.objects.filter(slug=slug, is_active=True).first() or Queue.objects.filter(is_active=True).first()
    if queue is None:
        raise EmailRejected("no active queue takes new tickets")
    return queue


def _requester_for(parsed: ParsedEmail) -> User:
    """The sender's account; an unknown sender gets a customer account without a usable password."""
    user = User.objects.filter(email__iexact=parsed.sender).first()
    if user is not None:
        if not user.is_active:
            raise EmailRejected("the sender's account is deactivated")
        return user
    user = User.objects.create_user(email=parsed.sender, password=None, name=parsed.sender_name[:150])
    user.set_unusable_password()
    user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=Role.CUSTOMER))
    return user


def _thread_target(parsed: ParsedEmail, subject: str) -> tuple[Ticket | None, str]:
    """(ticket to reply on, note) — a ticket only for a valid token whose ticket the sender requested."""
    note = ""
    seen: set[int] = set()
    for token in TOKEN_RE.findall(f"{subject}\n{parsed.text}"):
        ticket_id = ticket_id_from_reply_token(token)
        if ticket_id is None or ticket_id in seen:
            continue
        seen.add(ticket_id)
        ticket = Ticket.objects.select_related("requester").filter(pk=ticket_id).first()
        if ticket is None:
            continue
        if ticket.requester.email.lower() == parsed.sender:
            return ticket, ""
        note = f"reply token of {ticket.reference} but the sender is not its requester"
    return None, note


def _body_with_notes(text: str, parsed: ParsedEmail) -> str:
    body = text.strip() or NO_TEXT_BODY
    if parsed.refused:
        body = body + "\n\n" + "\n".join(parsed.refused)
    return body


def _route(parsed: ParsedEmail, raw: bytes) -> InboundEmail:
    """Decide and do; runs inside the caller's transaction and writes the InboundEmail row last."""
    record = {
        "message_id": parsed.message_id,
        "sender": parsed.sender[:254],
        "subject": parsed.subject[:255],
        "raw": raw,
    }
    if _already_seen(parsed.message_id):
        return InboundEmail.objects.create(**record, outcome=InboundEmail.Outcome.IGNORED, reason="already seen")
    if parsed.automated_reason:
        return InboundEmail.objects.create(
            **record, outcome=InboundEmail.Outcome.IGNORED, reason=parsed.automated_reason[:255]
        )
    check = parsed.sender_check
    if not check.passed and settings.INBOUND_EMAIL_UNVERIFIED != "accept":
        # Anyone can write any From: address. Until an agent has looked, a message whose sender
        # is not verified opens no ticket and adds nothing to one, whatever token it carries.
        return InboundEmail.objects.create(**record, outcome=InboundEmail.Outcome.HELD, reason=check.reason[:255])
    return InboundEmail.objects.create(**record, **_deliver(parsed))


def _deliver(parsed: ParsedEmail) -> dict:
    """Thread the email onto its ticket or open one; the ``InboundEmail`` fields that say which."""
    subject = parsed.subject[:255]
    ticket, note = _thread_target(parsed, subject)
    if ticket is not None:
        result = ticket_reply_customer(
            ticket=ticket,
            customer=ticket.requester,
            body=_body_with_notes(strip_quoted_reply(parsed.text), parsed),
            attachments=parsed.uploads,
            channel=Channel.EMAIL,
            email_message_id=parsed.message_id,
        )
        if result.follow_up:
            outcome, reason = InboundEmail.Outcome.CREATED, f"follow-up of {ticket.reference}, which is closed"
        else:
            outcome, reason = InboundEmail.Outcome.THREADED, f"reply on {result.ticket.reference}"
        return {"outcome": outcome, "reason": reason, "ticket": result.ticket}
    queue = _default_queue()
    requester = _requester_for(parsed)
    # Priority is ours to decide: X-Priority / Importance headers are never read.
    ticket = ticket_create(
        requester=requester,
        queue=queue,
        subject=parsed.subject or "(no subject)",
        description=_body_with_notes(parsed.text, parsed),
        channel=Channel.EMAIL,
        attachments=parsed.uploads,
        email_message_id=parsed.message_id,
    )
    reason = f"new ticket {ticket.reference}" + (f"; {note}" if note else "")
    return {"outcome": InboundEmail.Outcome.CREATED, "reason": reason[:255], "ticket": ticket}


def _best_effort_fields(raw: bytes) -> dict:
    """Message-ID, sender and subject for a failed row, as far as they can be read at all."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        return {
            "message_id": _message_id(msg, raw)[:255],
            "sender": _sender(msg)[0][:254],
            "subject": _header(msg, "Subject")[:255],
        }
    except Exception:  # noqa: BLE001 - a failed row must be written whatever the bytes are
        return {"message_id": f"<sha256.{hashlib.sha256(raw).hexdigest()}@no-message-id.stockdesk>"}


def email_ingest(*, raw: bytes) -> InboundEmail:
    """Process one raw email and return the ``InboundEmail`` row that records what happened.

    Contract:
    - always stores exactly one ``InboundEmail`` row with the raw bytes, its outcome and a reason;
      it raises only if even that row cannot be written (e.g. the database is down);
    - idempotent on Message-ID: a Message-ID already handled (an earlier non-failed
      ``InboundEmail`` or a ``Message.email_message_id``) → ``ignored``, nothing else changes.
      Mail without a Message-ID is recognised by a hash of its bytes. A ``failed`` email may be
      ingested again (replay after a fix);
    - auto-replies, bounces, bulk/list mail and mail from our own addresses → ``ignored``: no
      ticket, no notification, so no mail loops;
    - threads (``threaded``) only when the mail carries a ticket's signed reply token and the
      sender is that ticket's requester (a reply to a closed ticket opens a linked follow-up,
      ``created``); anything else opens a new ticket in the ``TICKET_EMAIL_DEFAULT_QUEUE`` queue
      (else the first active queue), with channel email and the default priority;
    - an unknown sender gets a customer account with an unusable password (they can claim it
      later), so their ticket has a requester; mail from a deactivated account is ``failed``;
    - attachments go through ``attachment_validate``; a refused file is skipped and noted in the
      message body, never failing the whole email;
    - one transaction: if processing raises, nothing but the ``failed`` row remains, the error is
      logged, and the notifications of the rolled-back work are never sent.
    """
    try:
        parsed = email_parse(raw)
        with transaction.atomic():
            return _route(parsed, raw)
    except EmailRejected as exc:
        reason = str(exc)
        logger.warning("Inbound email refused: %s", reason)
    except TicketError as exc:
        reason = " ".join(exc.messages)
        logger.warning("Inbound email refused by the ticket rules: %s", reason)
    except IntegrityError as exc:
        # Another process stored the same Message-ID between our check and our insert.
        fields = _best_effort_fields(raw)
        if _already_seen(fields["message_id"]):
            logger.info("Inbound email %s was stored concurrently", fields["message_id"])
            return InboundEmail.objects.create(
                **fields, raw=raw, outcome=InboundEmail.Outcome.IGNORED, reason="already seen"
            )
        logger.exception("Inbound email could not be processed")
        reason = f"{type(exc).__name__}: {exc}"
    except Exception as exc:
        logger.exception("Inbound email could not be processed")
        reason = f"{type(exc).__name__}: {exc}"
    return InboundEmail.objects.create(
        **_best_effort_fields(raw), raw=raw, outcome=InboundEmail.Outcome.FAILED, reason=reason[:255]
    )


@transaction.atomic
def email_release(*, inbound: InboundEmail, actor: User) -> InboundEmail:
    """An agent has checked a held email's sender: process it now, as if its sender were verified.

    Only ``held`` rows; the row records the outcome, and who released it, in its reason. Raises
    ``TicketError`` (nothing changed) for any other row or an email that can no longer be read.
    """
    held = InboundEmail.objects.select_for_update().filter(pk=inbound.pk, outcome=InboundEmail.Outcome.HELD).first()
    if held is None:
        raise TicketError("Only held emails can be released.")
    try:
        parsed = email_parse(bytes(held.raw))
    except EmailRejected as exc:
        raise TicketError(f"This email cannot be processed: {exc}") from None
    fields = _deliver(parsed)
    fields["reason"] = f"{fields['reason']} (released by {actor.email})"[:255]
    InboundEmail.objects.filter(pk=held.pk).update(**fields)
    held.refresh_from_db()
    logger.info("Held inbound email %s released by %s: %s", held.pk, actor.pk, held.reason)
    return held
