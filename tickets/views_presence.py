"""The ticket page's heartbeat (desk_presence.js): who else is here, and what is new since I looked."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_http_methods

from . import presence, selectors
from .views import _agent_required


def presence_payload(*, ticket, viewer, last_seen: int | None) -> dict:
    """The answer the page and the API share: the other agents on the ticket, and the public
    messages by others newer than ``last_seen``. Two queries."""
    newer = presence.messages_public_since(ticket=ticket, after_id=last_seen, viewer=viewer)
    return {
        "heartbeat_seconds": presence.HEARTBEAT_SECONDS,
        "others": [
            {"agent": p.agent_id, "name": p.name, "state": p.state, "seen_at": p.seen_at.isoformat()}
            for p in presence.presence_list_for_ticket(ticket=ticket, viewer=viewer)
        ],
        "newer_messages": [
            {
                "id": m.pk,
                "author": m.author.get_full_name() if m.author else m.get_author_kind_display(),
                "author_kind": m.author_kind,
                "created_at": m.created_at.isoformat(),
            }
            for m in newer
        ],
    }


def _last_seen(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
@require_http_methods(["GET", "POST"])
def desk_presence(request: HttpRequest, pk: int) -> JsonResponse:
    """POST ``state`` = viewing | typing records a heartbeat, ``gone`` leaves; GET only reads.
    ``last_seen`` (the newest message id the page shows) asks for what came after it."""
    _agent_required(request)
    ticket = selectors.ticket_get_for_agent(request.user, pk)
    params = request.POST if request.method == "POST" else request.GET
    if request.method == "POST":
        state = params.get("state", "")
        if state == "gone":
            presence.presence_leave(ticket=ticket, agent=request.user)
        else:
            try:
                presence.presence_heartbeat(ticket=ticket, agent=request.user, state=state)
            except presence.PresenceError as exc:
                return JsonResponse({"detail": str(exc)}, status=400)
    response = JsonResponse(
        presence_payload(ticket=ticket, viewer=request.user, last_seen=_last_seen(params.get("last_seen")))
    )
    response["Cache-Control"] = "private, no-store"
    return response
