"""Customer help pages and the agent desk. Views parse, check who asks, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from inventory.models import Product
from inventory.selectors import order_list_for_customer, order_recent_for_customer

from . import presence, selectors, services
from .forms import AgentReplyForm, CsatForm, CustomerReplyForm, PriorityForm, TicketCreateForm
from .models import Attachment, CannedResponse, Priority, Status, Ticket, TicketPresence, parse_reference


def _linkable(user) -> dict:
    """The customer's own orders and the products in them: the only things a ticket may link to."""
    return {
        "linkable_orders": order_list_for_customer(user).select_related(None).prefetch_related(None),
        "linkable_products": Product.objects.filter(order_lines__order__customer=user).distinct().order_by("name"),
    }


# --- customer pages ---------------------------------------------------------------


@login_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    tickets = selectors.ticket_list_for_customer(request.user)
    page = Paginator(tickets, 20).get_page(request.GET.get("page"))
    return render(request, "tickets/ticket_list.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    initial = {}
    if request.GET.get("order", "").isdigit():
        initial["order"] = int(request.GET["order"])
    form = TicketCreateForm(request.POST or None, request.FILES or None, initial=initial, **_linkable(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_create(
                requester=request.user,
                queue=data["queue"],
                subject=data["subject"],
                description=data["description"],
                attachments=data["attachments"],
                order=data.get("order"),
                product=data.get("product"),
            )
        except services.TicketError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Thank you! Your request {ticket.reference} has been received.")
            return redirect("tickets:detail", ticket.reference)
    return render(request, "tickets/ticket_new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def ticket_detail(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_customer(request.user, reference)
    form = CustomerReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.ticket_reply_customer(
                ticket=ticket,
                customer=request.user,
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
            )
        except services.TicketError as exc:
            form.add_error(None, exc)
        else:
            if result.follow_up:
                messages.info(
                    request, f"This request was closed, so we opened {result.ticket.reference} for your message."
                )
            else:
                messages.success(request, "Your reply was sent.")
            return redirect("tickets:detail", result.ticket.reference)
    return render(request, "tickets/ticket_detail.html", {"ticket": ticket, "form": form})


@login_required
@require_POST
def ticket_close(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_customer(request.user, reference)
    try:
        services.ticket_change_status(ticket=ticket, status=Status.CLOSED, actor=request.user)
    except services.TicketError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Your request is closed. Thank you!")
    return redirect("tickets:detail", ticket.reference)


@require_http_methods(["GET", "POST"])
def ticket_rate(request: HttpRequest, token: str) -> HttpResponse:
    """The one-click satisfaction link from the resolution email. The signature is the credential;
    a logged-in customer who is not the requester gets a 404 like any unknown link."""
    ticket_id = services.ticket_id_from_csat_token(token)
    ticket = get_object_or_404(Ticket.objects.select_related("requester"), pk=ticket_id) if ticket_id else None
    if ticket is None or (request.user.is_authenticated and request.user.pk != ticket.requester_id):
        raise Http404("No such rating link.")
    initial = {"score": request.GET.get("score")} if request.GET.get("score") in {"1", "2", "3", "4", "5"} else {}
    form = CsatForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.ticket_rate(ticket=ticket, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"])
        except services.TicketError as exc:
            form.add_error(None, exc)
        else:
            return render(request, "tickets/rate_thanks.html", {"ticket": ticket})
    return render(
        request, "tickets/rate.html", {"ticket": ticket, "form": form, "already": ticket.csat_score is not None}
    )


@login_required
def attachment_download(request: HttpRequest, key: str) -> FileResponse:
    """Files are served only here: to the requester (public messages) or the ticket's agents,
    always as a download with ``nosniff`` so nothing uploaded is ever rendered by the browser."""
    attachment = get_object_or_404(Attachment.objects.select_related("ticket", "message"), storage_key=key)
    ticket = attachment.ticket
    is_requester = ticket.requester_id == request.user.pk and not (
        attachment.message and attachment.message.is_internal
    )
    if not (is_requester or selectors.agent_can_work_on(request.user, ticket)):
        raise Http404("No such file.")
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- agent desk -------------------------------------------------------------------


def _agent_required(request: HttpRequest) -> None:
    if not request.user.is_authenticated:
        raise PermissionDenied
    if not selectors.is_agent(request.user):
        raise PermissionDenied


DESK_VIEWS = [
    ("mine", "Mine"),
    ("unassigned", "Unassigned"),
    ("overdue", "Overdue"),
    ("waiting", "Waiting on customer"),
    ("open", "All open"),
]


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    _agent_required(request)
    view = request.GET.get("view", "mine")
    if view not in dict(DESK_VIEWS):
        view = "mine"
    queue_id = request.GET.get("queue")
    queue = int(queue_id) if queue_id and queue_id.isdigit() else None
    q = request.GET.get("q", "").strip()[:100]
    priority = request.GET.get("priority", "")
    queues = selectors.queue_list_for_agent(request.user).only("pk", "name")
    tickets = selectors.ticket_list_for_agent(
        request.user,
        view=view,
        q=q,
        queue=queue,
        priority=priority if priority in Priority.values else "",
    )
    page = Paginator(tickets, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "tickets/desk.html",
        {
            "page": page,
            "view": view,
            "views": DESK_VIEWS,
            "q": q,
            "queue": queue,
            "priority": priority,
            "queues": queues,
            "priorities": Priority.choices,
            "now": timezone.now(),
        },
    )


@login_required
def desk_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    _agent_required(request)
    return _render_desk_ticket(request, pk)


def _render_desk_ticket(
    request: HttpRequest, pk: int, *, reply: dict | None = None, collision=None, status: int = 200
) -> HttpResponse:
    """The ticket page; ``reply`` refills the reply form, ``collision`` lists the public messages
    that arrived while the agent was writing (the page then asks before sending)."""
    ticket = selectors.ticket_detail_for_agent(request.user, pk)
    # Opening the page is the first heartbeat: others see this agent even before desk_presence.js runs.
    presence.presence_heartbeat(ticket=ticket, agent=request.user, state=TicketPresence.State.VIEWING)
    last_seen = max((m.pk for m in ticket.all_messages), default=0)
    # Canned responses are not in the page: desk.js reads them (desk_canned) when the agent opens
    # the list, which is the only way they can be used.
    statuses = [ticket.status, *(s for s in Status.values if s in services.TRANSITIONS[ticket.status])]
    context = {
        "ticket": ticket,
        "reply_form": AgentReplyForm(initial={**(reply or {}), "last_seen": last_seen}),
        "collision": collision,
        "others": presence.presence_list_for_ticket(ticket=ticket, viewer=request.user),
        "heartbeat_seconds": presence.HEARTBEAT_SECONDS,
        "priority_form": PriorityForm(initial={"priority": ticket.priority}),
        "agents": selectors.agent_list_for_queue(ticket.queue_id),
        # The current status first (and chosen), then the ones it may move to.
        "statuses": [(s, Status(s).label) for s in statuses],
        "recent_orders": order_recent_for_customer(ticket.requester, limit=5),
    }
    return render(request, "tickets/desk_ticket.html", context, status=status)


@login_required
def desk_canned(request: HttpRequest, pk: int) -> JsonResponse:
    """The canned responses an agent can use on this ticket, placeholders filled, as JSON text
    (desk.js inserts them as text, never as HTML). Scoped like the ticket page: 404 otherwise."""
    _agent_required(request)
    ticket = selectors.ticket_get_for_agent(request.user, pk)
    canned = (
        CannedResponse.objects.filter(is_active=True)
        .filter(Q(queue__isnull=True) | Q(queue=ticket.queue_id))
        .only("title", "body")
    )
    responses = [
        {"title": c.title, "text": services.canned_response_render(body=c.body, ticket=ticket)} for c in canned
    ]
    response = JsonResponse({"responses": responses})
    response["Cache-Control"] = "private, no-store"
    return response


def _desk_action(request: HttpRequest, pk: int, action) -> HttpResponse:
    _agent_required(request)
    ticket = selectors.ticket_get_for_agent(request.user, pk)
    try:
        note = action(ticket)
    except services.TicketError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if note:
            messages.success(request, note)
    return redirect("tickets:desk_ticket", pk)


@login_required
@require_POST
def desk_reply(request: HttpRequest, pk: int) -> HttpResponse:
    form = AgentReplyForm(request.POST, request.FILES)
    if form.is_valid() and not form.cleaned_data["internal"]:
        _agent_required(request)
        ticket = selectors.ticket_get_for_agent(request.user, pk)
        newer = list(
            presence.messages_public_since(ticket=ticket, after_id=form.cleaned_data["last_seen"], viewer=request.user)
        )
        if newer:
            # Someone answered while this agent was writing: show the page again with their
            # message in the thread and the draft kept; sending again (the form now says it has
            # seen the newest message) sends it. Works without JavaScript.
            data = form.cleaned_data
            reply = {"body": data["body"], "set_status": data["set_status"]}
            return _render_desk_ticket(
                request,
                pk,
                reply=reply,
                collision={"messages": newer, "had_files": bool(data["attachments"])},
                status=409,
            )

    def act(ticket):
        if not form.is_valid():
            raise services.TicketError([f"{field}: {' '.join(errs)}" for field, errs in form.errors.items()])
        data = form.cleaned_data
        services.ticket_reply_agent(
            ticket=ticket,
            agent=request.user,
            body=data["body"],
            internal=data["internal"],
            attachments=data["attachments"],
            set_status="" if data["internal"] else data["set_status"],
        )
        return "Internal note added." if data["internal"] else "Reply sent to the customer."

    return _desk_action(request, pk, act)


@login_required
@require_POST
def desk_assign(request: HttpRequest, pk: int) -> HttpResponse:
    def act(ticket):
        value = request.POST.get("assignee", "")
        if value == "me":
            services.ticket_claim(ticket=ticket, agent=request.user)
            return "The ticket is yours."
        if value == "":
            services.ticket_assign(ticket=ticket, assignee=None, actor=request.user)
            return "Unassigned."
        agent = ticket.queue.agents.filter(pk=value).first() if value.isdigit() else None
        if agent is None:
            raise services.TicketError("Choose an agent of this queue.")
        services.ticket_assign(ticket=ticket, assignee=agent, actor=request.user)
        return f"Assigned to {agent.get_full_name()}."

    return _desk_action(request, pk, act)


@login_required
@require_POST
def desk_status(request: HttpRequest, pk: int) -> HttpResponse:
    def act(ticket):
        status = request.POST.get("status", "")
        if status == ticket.status:  # the form shows the current status first
            return f"The ticket is already {ticket.get_status_display().lower()}."
        services.ticket_change_status(ticket=ticket, status=status, actor=request.user)
        return "Status changed."

    return _desk_action(request, pk, act)


@login_required
@require_POST
def desk_priority(request: HttpRequest, pk: int) -> HttpResponse:
    def act(ticket):
        services.ticket_change_priority(ticket=ticket, priority=request.POST.get("priority", ""), actor=request.user)
        return "Priority changed."

    return _desk_action(request, pk, act)


@login_required
@require_POST
def desk_merge(request: HttpRequest, pk: int) -> HttpResponse:
    def act(ticket):
        target_id = parse_reference(request.POST.get("target", ""))
        if target_id is None:
            raise services.TicketError("Give the reference of the ticket to merge into, e.g. TCK-00042.")
        target = selectors.ticket_get_for_agent(request.user, target_id)
        services.ticket_merge(source=ticket, target=target, actor=request.user)
        return f"Merged into {target.reference}."

    return _desk_action(request, pk, act)


@login_required
@require_POST
def desk_away(request: HttpRequest) -> HttpResponse:
    _agent_required(request)
    from accounts.services import user_set_away

    away = request.POST.get("away") == "1"
    user_set_away(user=request.user, away=away)
    messages.info(
        request,
        "You are marked away: no new tickets come to you."
        if away
        else "Welcome back: new tickets can come to you again.",
    )
    return redirect("tickets:desk")


@login_required
def desk_dashboard(request: HttpRequest) -> HttpResponse:
    _agent_required(request)
    from .reports import can_view_reports, desk_stats

    stats = desk_stats(queues=selectors.queue_list_for_agent(request.user))
    context = {"stats": stats, "can_view_reports": can_view_reports(request.user)}
    return render(request, "tickets/desk_dashboard.html", context)
