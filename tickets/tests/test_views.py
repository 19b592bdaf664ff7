"""Customer help pages, the agent desk and attachments, seen from the outside."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AgentFactory, CustomerFactory
from inventory.tests.factories import ProductFactory, place_order, with_stock
from tickets import services
from tickets.models import Attachment, Message, Status, Ticket

from .factories import QueueFactory

pytestmark = pytest.mark.django_db

XSS = '<script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)">x</a>'


def _upload(name: str, content: bytes = b"%PDF-1.4 test", content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- customers ----------------------------------------------------------------------


def test_customer_raises_a_ticket_with_an_attachment(client, customer, queue, django_capture_on_commit_callbacks):
    client.force_login(customer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("tickets:new"),
            {
                "queue": queue.pk,
                "subject": "Broken vase",
                "description": "Arrived in pieces",
                "attachments": [_upload("photo.pdf")],
            },
        )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[ticket.reference])
    assert ticket.requester == customer
    attachment = Attachment.objects.get()
    assert attachment.original_name == "photo.pdf"
    assert attachment.file.name.endswith(f"{attachment.storage_key}.pdf")
    assert customer.email in [m.to[0] for m in mail.outbox]


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("page.html", b"<html><script>alert(1)</script>", "not accepted"),
        ("logo.svg", b"<svg onload=alert(1)>", "not accepted"),
        ("invoice.pdf.exe", b"MZ", "not accepted"),
        ("report.html.pdf", b"%PDF", "not accepted"),
        ("notes.docm", b"x", "only these file types"),
        ("../../etc/passwd.txt", b"", "empty"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_created(client, customer, queue, name, content, why):
    client.force_login(customer)
    response = client.post(
        reverse("tickets:new"),
        {"queue": queue.pk, "subject": "x", "description": "y", "attachments": [_upload(name, content)]},
    )
    assert response.status_code == 200
    errors = " ".join(" ".join(errs) for errs in response.context["form"].errors.values())
    assert why in errors
    assert Ticket.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_oversized_upload_is_refused(client, customer, queue, settings):
    settings.TICKET_ATTACHMENT_MAX_BYTES = 10
    client.force_login(customer)
    response = client.post(
        reverse("tickets:new"),
        {"queue": queue.pk, "subject": "x", "description": "y", "attachments": [_upload("big.pdf", b"x" * 11)]},
    )
    assert "larger than" in " ".join(response.context["form"].non_field_errors())
    assert Ticket.objects.count() == 0


def test_path_traversal_name_is_stored_under_a_generated_name(ticket, customer):
    services.ticket_reply_customer(
        ticket=ticket,
        customer=customer,
        body="see file",
        attachments=[services.Upload(name="../../x/evil.txt", content=b"hi")],
    )
    attachment = Attachment.objects.get()
    assert attachment.original_name == "evil.txt"
    assert ".." not in attachment.file.name
    assert attachment.file.name == f"attachments/{ticket.pk}/{attachment.storage_key}.txt"


def test_customer_sees_public_replies_but_not_internal_notes(client, ticket, customer, agent):
    services.ticket_reply_agent(ticket=ticket, agent=agent, body="Public answer")
    services.ticket_reply_agent(ticket=ticket, agent=agent, body="Secret internal note", internal=True)
    client.force_login(customer)
    page = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert "Public answer" in page
    assert "Secret internal note" not in page


def test_customer_reply_and_close(client, ticket, customer):
    client.force_login(customer)
    url = reverse("tickets:detail", args=[ticket.reference])
    assert client.post(url, {"body": "Any news?"}).status_code == 302
    assert ticket.messages.filter(author_kind="customer").count() == 2
    response = client.post(url, {"body": "   "})
    assert response.status_code == 200
    assert ticket.messages.count() == 2
    client.post(reverse("tickets:close", args=[ticket.reference]))
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_customer_cannot_write_internal_notes(client, ticket, customer):
    client.force_login(customer)
    client.post(
        reverse("tickets:detail", args=[ticket.reference]), {"body": "note", "internal": "on", "is_internal": "1"}
    )
    assert not ticket.messages.filter(is_internal=True).exists()
    # Nor reach the agent actions
    response = client.post(reverse("tickets:desk_reply", args=[ticket.pk]), {"body": "note", "internal": "on"})
    assert response.status_code == 403
    assert not ticket.messages.filter(is_internal=True).exists()


def test_another_customer_gets_404_for_ticket_attachment_and_rating_link(client, ticket, customer, agent):
    services.ticket_reply_customer(
        ticket=ticket, customer=customer, body="file", attachments=[services.Upload(name="a.txt", content=b"hi")]
    )
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=agent)
    attachment = Attachment.objects.get()
    client.force_login(CustomerFactory())
    assert client.get(reverse("tickets:detail", args=[ticket.reference])).status_code == 404
    assert client.post(reverse("tickets:detail", args=[ticket.reference]), {"body": "hijack"}).status_code == 404
    assert client.post(reverse("tickets:close", args=[ticket.reference])).status_code == 404
    assert client.get(reverse("tickets:attachment", args=[attachment.storage_key])).status_code == 404
    rate_url = reverse("tickets:rate", args=[services.csat_token(ticket)])
    assert client.get(rate_url).status_code == 404
    assert client.post(rate_url, {"score": 1}).status_code == 404
    ticket.refresh_from_db()
    assert (ticket.status, ticket.csat_score, ticket.messages.count()) == (Status.RESOLVED, None, 2)


@pytest.mark.parametrize("reference", ["TCK-99999", "garbage", "TCK-", "0"])
def test_unknown_or_malformed_references_are_404(client, customer, reference):
    client.force_login(customer)
    assert client.get(reverse("tickets:detail", args=[reference])).status_code == 404


def test_rating_link_works_once_without_login(client, ticket, agent):
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=agent)
    url = reverse("tickets:rate", args=[services.csat_token(ticket)])
    page = client.get(url + "?score=5")
    assert page.status_code == 200
    ticket.refresh_from_db()
    assert ticket.csat_score is None  # GET changes nothing
    response = client.post(url, {"score": "5", "comment": "Great"})
    assert b"Thank you for your rating" in response.content
    response = client.post(url, {"score": "1"})
    assert b"rated this request already" in response.content
    ticket.refresh_from_db()
    assert (ticket.csat_score, ticket.csat_comment) == (5, "Great")


def test_tampered_rating_link_is_404(client, ticket):
    assert client.get(reverse("tickets:rate", args=["1:forged"])).status_code == 404


def test_attachment_download_is_forced_with_nosniff(client, ticket, customer):
    services.ticket_reply_customer(
        ticket=ticket,
        customer=customer,
        body="log",
        attachments=[services.Upload(name="error.log", content=b"<script>x</script>")],
    )
    attachment = Attachment.objects.get()
    client.force_login(customer)
    response = client.get(reverse("tickets:attachment", args=[attachment.storage_key]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"<script>x</script>"


def test_attachments_of_internal_notes_are_not_for_the_customer(client, ticket, customer, agent):
    services.ticket_reply_agent(
        ticket=ticket, agent=agent, body="n", internal=True, attachments=[services.Upload(name="n.txt", content=b"x")]
    )
    client.force_login(customer)
    attachment = Attachment.objects.get()
    assert client.get(reverse("tickets:attachment", args=[attachment.storage_key])).status_code == 404


# --- agents -------------------------------------------------------------------------


def test_agent_outside_the_queue_cannot_open_its_tickets(client, ticket):
    outsider = AgentFactory()
    QueueFactory(agents=[outsider])
    client.force_login(outsider)
    assert client.get(reverse("tickets:desk_ticket", args=[ticket.pk])).status_code == 404
    assert client.post(reverse("tickets:desk_status", args=[ticket.pk]), {"status": "resolved"}).status_code == 404
    rows = client.get(reverse("tickets:desk") + "?view=open").context["page"].object_list
    assert ticket.pk not in [row.pk for row in rows]
    response = client.get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_customers_cannot_open_the_desk(client, customer):
    client.force_login(customer)
    assert client.get(reverse("tickets:desk")).status_code == 403


def test_desk_views_and_search(client, ticket, agent, customer, queue):
    other = services.ticket_create(requester=customer, queue=queue, subject="Invoice question", description="z")
    services.ticket_assign(ticket=other, assignee=None, actor=agent)
    client.force_login(agent)
    mine = client.get(reverse("tickets:desk") + "?view=mine").context["page"].object_list
    unassigned = client.get(reverse("tickets:desk") + "?view=unassigned").context["page"].object_list
    found = client.get(reverse("tickets:desk") + "?view=open&q=invoice").context["page"].object_list
    by_ref = (
        client.get(reverse("tickets:desk") + f"?view=open&q={ticket.reference.lower()}").context["page"].object_list
    )
    assert [row.pk for row in mine] == [ticket.pk]
    assert [row.pk for row in unassigned] == [other.pk]
    assert [row.pk for row in found] == [other.pk]
    assert [row.pk for row in by_ref] == [ticket.pk]


def test_agent_reply_status_priority_and_merge_from_the_desk(client, ticket, agent, customer, queue):
    client.force_login(agent)
    client.post(reverse("tickets:desk_reply", args=[ticket.pk]), {"body": "On its way", "set_status": "waiting"})
    client.post(reverse("tickets:desk_priority", args=[ticket.pk]), {"priority": "high"})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.WAITING, "high")
    assert ticket.paused_at is not None
    response = client.post(reverse("tickets:desk_status", args=[ticket.pk]), {"status": "new"}, follow=True)
    assert "cannot become" in response.content.decode()
    duplicate = services.ticket_create(requester=customer, queue=queue, subject="dupe", description="dupe")
    client.post(reverse("tickets:desk_merge", args=[duplicate.pk]), {"target": ticket.reference})
    duplicate.refresh_from_db()
    assert duplicate.merged_into == ticket


def test_stored_xss_is_escaped_in_desk_admin_and_email(client, sla, agent, django_capture_on_commit_callbacks):
    evil = CustomerFactory(name=XSS)
    queue = QueueFactory(agents=[agent])
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_create(requester=evil, queue=queue, subject=XSS[:200], description=XSS)
        services.ticket_reply_customer(
            ticket=ticket, customer=evil, body=XSS, attachments=[services.Upload(name=f"{XSS[:40]}.txt", content=b"x")]
        )
    client.force_login(agent)
    pages = [
        client.get(reverse("tickets:desk") + "?view=open").content.decode(),
        client.get(reverse("tickets:desk_ticket", args=[ticket.pk])).content.decode(),
    ]
    client.force_login(AgentFactory(is_superuser=True))
    pages.append(client.get(reverse("admin:tickets_ticket_changelist")).content.decode())
    for page in pages:
        assert "<script>alert(1)</script>" not in page
        assert 'onerror="alert(2)"' not in page
        assert 'href="javascript:' not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for message in mail.outbox:
        html = message.alternatives[0][0]
        assert "<script>alert(1)</script>" not in html
        assert "<img" not in html


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_desk_queue_page_query_count_is_fixed_whatever_the_number_of_tickets(client, agent, queue):
    """Same number of queries with 3 open tickets as with 60 (two pages), and a small one."""
    customers = [CustomerFactory() for _ in range(5)]
    client.force_login(agent)
    url = reverse("tickets:desk") + "?view=open"
    counts = []
    for total in (3, 60):
        while Ticket.objects.count() < total:
            n = Ticket.objects.count()
            services.ticket_create(requester=customers[n % 5], queue=queue, subject=f"T{n}", description="d")
        counts.append(_queries(client, url))
    # session, the user with their roles, the agent's queues, the count, the page's rows
    assert counts[0] == counts[1] == 6
    response = client.get(url)
    assert len(response.context["page"].object_list) == 25
    assert response.content.decode().count('href="/desk/tickets/') >= 25  # rows rendered in the response


def test_desk_ticket_page_query_count_is_fixed_whatever_the_number_of_messages(client, ticket, agent, customer, store):
    """Same count with 3 messages and no orders as with 21 messages, attachments, internal notes,
    history and five orders beside the ticket."""
    client.force_login(agent)
    url = reverse("tickets:desk_ticket", args=[ticket.pk])
    counts = [_queries(client, url)]
    lamp = with_stock(ProductFactory(store=store, name="Lamp"), 50)
    for _ in range(6):
        place_order(customer, (lamp, 1))
    for rounds in (1, 10):
        while Message.objects.filter(ticket=ticket).count() < 1 + 2 * rounds:
            i = Message.objects.count()
            services.ticket_reply_agent(ticket=ticket, agent=agent, body=f"reply {i}", internal=i % 3 == 0)
            services.ticket_reply_customer(
                ticket=ticket,
                customer=customer,
                body=f"answer {i}",
                attachments=[services.Upload(name=f"{i}.txt", content=b"x")],
            )
        counts.append(_queries(client, url))
    # session, the user, their roles, the ticket with its links (access checked in it), the
    # messages, their attachments, the history, the queue's agents, the requester's orders and
    # their lines (not read when there are no orders), this agent's presence (upsert, expired rows
    # dropped) and the other agents on the ticket; canned responses are read by desk.js when the
    # agent opens them
    assert counts == [12, 13, 13]
    assert Message.objects.filter(ticket=ticket).count() == 21
    page = client.get(url).content.decode()
    assert page.count('class="card mb-3 ') == 21
    assert page.count("<strong>SD-") == 5


def test_desk_thread_shows_notes_channels_and_files_escaped(client, ticket, agent, customer):
    services.ticket_reply_agent(ticket=ticket, agent=agent, body=f"Line one\r\nline two & {XSS}")
    services.ticket_reply_agent(ticket=ticket, agent=agent, body=f"note {XSS}", internal=True)
    services.ticket_reply_customer(
        ticket=ticket,
        customer=customer,
        body=f"from mail {XSS}",
        attachments=[
            services.Upload(name='"><img src=x onerror=alert(1)>.txt', content=b"x" * 3000),
            services.Upload(name="b.pdf", content=b"%PDF-1.4"),
        ],
    )
    Message.objects.filter(ticket=ticket, author_kind="customer").update(channel="email")
    Message.objects.create(ticket=ticket, author_kind=Message.AuthorKind.BOT, body="bot says hi")
    Message.objects.create(ticket=ticket, author_kind=Message.AuthorKind.CUSTOMER, body="gone", author=None)
    client.force_login(agent)

    page = client.get(reverse("tickets:desk_ticket", args=[ticket.pk])).content.decode()

    assert page.count('<article class="card mb-3') == Message.objects.filter(ticket=ticket).count()
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "Line one<br>line two &amp; &lt;script&gt;" in page
    assert "Internal note</span>" in page
    assert ">Email</span>" in page
    assert "<strong>Assistant</strong>" in page
    assert "<strong>Customer</strong>" in page  # a message whose author account is gone
    assert "b.pdf</a>" in page
    assert "(2.9\xa0KB)" in page


def test_agent_marks_themselves_away_and_gets_no_new_tickets(client, agent, queue, customer):
    client.force_login(agent)
    client.post(reverse("tickets:away"), {"away": "1"})
    agent.refresh_from_db()
    assert agent.is_away
    ticket = services.ticket_create(requester=customer, queue=queue, subject="x", description="y")
    assert ticket.assignee is None
    client.post(reverse("tickets:away"), {"away": "0"})
    agent.refresh_from_db()
    assert not agent.is_away
    assert client.get(reverse("tickets:away")).status_code == 405


def test_desk_rows_escape_what_customers_typed_and_flag_overdue(client, agent, queue, customer):
    hostile = services.ticket_create(
        requester=customer, queue=queue, subject='<script>alert("x")</script>', description="d"
    )
    Ticket.objects.filter(pk=hostile.pk).update(resolution_due_at=timezone.now() - timedelta(hours=1))
    client.force_login(agent)

    page = client.get(reverse("tickets:desk") + "?view=open").content.decode()

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert f'href="/desk/tickets/{hostile.pk}/"' in page
    assert hostile.reference in page
    assert 'class="text-danger fw-semibold"' in page  # overdue
    assert 'badge rounded-pill text-bg-primary">New<' in page


def test_desk_canned_responses_are_read_on_demand_scoped_and_filled(client, ticket, agent, queue, other_queue):
    """The ticket page carries no canned responses (desk.js reads them when the list is opened):
    the agent's own queue's and the global ones, active only, placeholders filled, as JSON text."""
    from tickets.models import CannedResponse

    CannedResponse.objects.create(title=f"Hello {XSS}", body="Hi {customer_name}, re {ticket_reference} " + XSS)
    CannedResponse.objects.create(title="Queue", body="For this queue", queue=queue)
    CannedResponse.objects.create(title="Other queue", body="not here", queue=other_queue)
    CannedResponse.objects.create(title="Retired", body="not here", is_active=False)
    client.force_login(agent)
    url = reverse("tickets:desk_canned", args=[ticket.pk])

    page = client.get(reverse("tickets:desk_ticket", args=[ticket.pk])).content.decode()
    response = client.get(url)

    assert f'data-src="{url}"' in page
    assert "For this queue" not in page
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "private, no-store"
    name = ticket.requester.get_short_name()
    assert response.json() == {
        "responses": [
            {"title": f"Hello {XSS}", "text": f"Hi {name}, re {ticket.reference} {XSS}"},
            {"title": "Queue", "text": "For this queue"},
        ]
    }
    assert response["X-Content-Type-Options"] == "nosniff"  # JSON text, never sniffed as a page
    client.force_login(other_queue.agents.get())
    assert client.get(url).status_code == 404
    client.force_login(ticket.requester)
    assert client.get(url).status_code == 403


def test_desk_queue_filter_lists_exactly_the_agents_queues(client, agent, queue, other_queue):
    mine = QueueFactory(agents=[agent], name="Another of mine")
    client.force_login(agent)

    page = client.get(reverse("tickets:desk")).content.decode()

    assert f'<option value="{queue.pk}"' in page
    assert f'<option value="{mine.pk}"' in page
    assert f'<option value="{other_queue.pk}"' not in page


def test_desk_recent_orders_escape_names_and_show_orders_without_lines(client, customer, agent, queue, store):
    from inventory.models import Order

    vase = with_stock(ProductFactory(store=store, name=f"Vase {XSS}"), 5)
    place_order(customer, (vase, 2))
    empty = Order.objects.create(
        store=store, customer=customer, payment_method="cod", delivery_name="x", delivery_address="y",
        delivery_postcode="1", delivery_city="z", total=0,
    )  # fmt: skip
    ticket = services.ticket_create(requester=customer, queue=queue, subject="Vase", description="?")
    client.force_login(agent)

    page = client.get(reverse("tickets:desk_ticket", args=[ticket.pk])).content.decode()
    panel = page[page.index("Recent orders") : page.index('<h2 class="h6">History</h2>')]

    assert XSS not in page
    assert "2 &times; Vase &lt;script&gt;alert(1)&lt;/script&gt;" in panel
    assert "3 in stock" in panel
    assert f"<strong>{empty.number}</strong>" in panel
    assert panel.index(empty.number) < panel.index("Vase")  # newest first


def test_desk_status_select_shows_the_tickets_real_status_first(client, ticket, agent):
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, actor=agent)
    client.force_login(agent)
    url = reverse("tickets:desk_ticket", args=[ticket.pk])

    page = client.get(url).content.decode()
    select = page[
        page.index('<select class="form-select" id="status"') : page.index("</select>", page.index('id="status"'))
    ]
    unchanged = client.post(reverse("tickets:desk_status", args=[ticket.pk]), {"status": "resolved"}, follow=True)

    assert select.index('<option value="resolved" selected>Resolved</option>') < select.index('value="open"')
    assert select.count("selected") == 1
    assert "already resolved" in unchanged.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED
