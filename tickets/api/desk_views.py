"""Desk API for agents: a ticket's presence (collision detection) and the team leads' report."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk_project.api import RateLimitHeadersMixin

from .. import presence, reports, selectors
from ..models import TicketPresence
from ..report_forms import DEFAULT_DAYS
from ..views_presence import presence_payload

# --- presence -----------------------------------------------------------------------------


class PresenceInputSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=[*TicketPresence.State.values, "gone"], help_text="viewing or typing (a heartbeat); gone (leaving)."
    )
    last_seen = serializers.IntegerField(
        required=False, min_value=0, help_text="The newest message id the client shows: newer ones are listed."
    )


class PresenceAgentSerializer(serializers.Serializer):
    agent = serializers.IntegerField()
    name = serializers.CharField()
    state = serializers.ChoiceField(choices=TicketPresence.State.values)
    seen_at = serializers.DateTimeField()


class NewerMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField()
    author_kind = serializers.CharField()
    created_at = serializers.DateTimeField()


class PresenceOutputSerializer(serializers.Serializer):
    heartbeat_seconds = serializers.IntegerField(help_text="How often a client should send a heartbeat.")
    others = PresenceAgentSerializer(many=True, help_text="The other agents on the ticket now, typing first.")
    newer_messages = NewerMessageSerializer(
        many=True, help_text="Public messages by others newer than last_seen: a reply now would talk over them."
    )


def _agent_ticket(request, pk):
    if not selectors.is_agent(request.user):
        raise PermissionDenied("Only agents work on tickets' presence.")
    return selectors.ticket_get_for_agent(request.user, pk)


class TicketPresenceView(RateLimitHeadersMixin, APIView):
    """Collision detection: a client on a ticket sends a heartbeat every ``heartbeat_seconds``;
    an agent not heard from for three of them is gone. Agents of the ticket's queue only."""

    @extend_schema(
        tags=["desk"],
        summary="Who else is on this ticket (agents)",
        parameters=[OpenApiParameter("last_seen", int, description="The newest message id the client shows.")],
        responses=PresenceOutputSerializer,
    )
    def get(self, request, pk: int):
        ticket = _agent_ticket(request, pk)
        raw = request.query_params.get("last_seen", "")
        if raw and not raw.isdigit():
            raise ValidationError({"last_seen": ["A message id."]})
        data = presence_payload(ticket=ticket, viewer=request.user, last_seen=int(raw) if raw else None)
        return Response(PresenceOutputSerializer(data).data)

    @extend_schema(
        tags=["desk"],
        summary="Send a heartbeat (viewing, typing) or leave the ticket (agents)",
        request=PresenceInputSerializer,
        responses=PresenceOutputSerializer,
    )
    def post(self, request, pk: int):
        ticket = _agent_ticket(request, pk)
        serializer = PresenceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["state"] == "gone":
            presence.presence_leave(ticket=ticket, agent=request.user)
        else:
            presence.presence_heartbeat(ticket=ticket, agent=request.user, state=data["state"])
        payload = presence_payload(ticket=ticket, viewer=request.user, last_seen=data.get("last_seen"))
        return Response(PresenceOutputSerializer(payload).data)


# --- reports ------------------------------------------------------------------------------


class ReportQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text=f"First day (default: {DEFAULT_DAYS} days ago).")
    end = serializers.DateField(required=False, help_text="Last day, included (default: today).")
    queue = serializers.IntegerField(required=False, help_text="One of your queues (default: all of them).")


class TimesSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Tickets that reached the event.")
    median_minutes = serializers.FloatField(allow_null=True)
    p90_minutes = serializers.FloatField(allow_null=True)


class BacklogDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    open = serializers.IntegerField(help_text="Tickets open at the end of the day.")


class RatingRowSerializer(serializers.Serializer):
    name = serializers.CharField()
    average = serializers.FloatField()
    count = serializers.IntegerField()


class CountRowSerializer(serializers.Serializer):
    name = serializers.CharField()
    count = serializers.IntegerField()


class ReportOutputSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    queue = serializers.IntegerField(source="queue.pk", allow_null=True, default=None)
    created = serializers.IntegerField(help_text="Tickets created in the range: what the figures cover.")
    resolved = serializers.IntegerField()
    breached = serializers.IntegerField(help_text="Of those, tickets that missed a first-reply or resolution target.")
    breach_rate = serializers.FloatField(allow_null=True)
    first_reply = TimesSerializer()
    resolution = TimesSerializer()
    backlog = BacklogDaySerializer(many=True)
    rating_by_agent = RatingRowSerializer(many=True)
    rating_by_queue = RatingRowSerializer(many=True)
    by_queue = CountRowSerializer(many=True)
    by_product = CountRowSerializer(many=True)


class DeskReportView(RateLimitHeadersMixin, APIView):
    """Figures over the tickets created in a date range in your queues (or one of them): reply and
    resolution medians and 90th percentiles in minutes, SLA breaches, the daily backlog, ratings
    given in the range, tickets by queue and linked product. Needs ``tickets.view_desk_reports``."""

    @extend_schema(
        tags=["desk"],
        summary="The desk report for your queues (team leads)",
        parameters=[ReportQuerySerializer],
        responses=ReportOutputSerializer,
    )
    def get(self, request):
        if not reports.can_view_reports(request.user):
            raise PermissionDenied("The desk reports are for team leads.")
        query = ReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        today = timezone.localdate()
        end = data.get("end", today)
        start = data.get("start", end - timedelta(days=DEFAULT_DAYS - 1))
        queue = None
        if "queue" in data:
            queue = selectors.queue_list_for_agent(request.user).filter(pk=data["queue"]).first()
            if queue is None:
                raise NotFound("No such queue.")
        try:
            report = reports.desk_report(user=request.user, start=start, end=end, queue=queue)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        return Response(ReportOutputSerializer(report).data)
