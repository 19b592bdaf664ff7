"""Ticket API: customers see and write their own tickets; agents work the tickets of their queues."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts import idempotency
from helpdesk_project.api import RateLimitHeadersMixin, created, ordering_parameter, service_error

from .. import presence, selectors, services
from ..models import Channel, Message, Priority, Queue, Status, Ticket
from .serializers import (
    AttachmentOutputSerializer,
    MessageCreateInputSerializer,
    MessageOutputSerializer,
    QueueListOutputSerializer,
    StatusInputSerializer,
    TicketCreateInputSerializer,
    TicketOutputSerializer,
)


class TicketFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    queue = django_filters.NumberFilter(field_name="queue_id")
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text="Only tickets changed at or after this time (ISO 8601)."
    )

    class Meta:
        model = Ticket
        fields = ["status", "priority", "queue", "updated_since"]


def _raise_service_error(exc: services.TicketError):
    raise service_error(exc)


TICKET_ORDERING = ["created_at", "updated_at", "priority", "status"]


@extend_schema_view(
    list=extend_schema(
        summary="Your tickets (agents: the tickets of your queues)", parameters=[ordering_parameter(TICKET_ORDERING)]
    ),
    retrieve=extend_schema(summary="One ticket"),
)
@extend_schema(tags=["tickets"])
class TicketViewSet(
    RateLimitHeadersMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = TicketOutputSerializer
    # JSON everywhere (the settings' default); a new message may also carry files (multipart).
    filterset_class = TicketFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, OrderingFilter]
    # Only these; anything else (e.g. requester__password) is ignored by OrderingFilter.
    ordering_fields = TICKET_ORDERING
    ordering = ["-created_at"]

    def get_queryset(self):
        user = self.request.user
        if selectors.is_agent(user):
            return selectors.ticket_list_for_agent(user, view="all")
        return selectors.ticket_list_for_customer(user).select_related("assignee", "requester")

    def get_object(self):
        pk = self.kwargs.get("pk", "")
        if not str(pk).isdigit():
            raise NotFound("No such ticket.")
        try:
            return self.get_queryset().get(pk=int(pk))
        except Ticket.DoesNotExist:
            raise NotFound("No such ticket.") from None

    @extend_schema(
        summary="Open a ticket",
        request=TicketCreateInputSerializer,
        responses={201: TicketOutputSerializer},
        parameters=[idempotency.PARAMETER],
    )
    @idempotency.idempotent
    def create(self, request, *args, **kwargs):
        serializer = TicketCreateInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            ticket = services.ticket_create(
                requester=request.user,
                queue=data["queue"],
                subject=data["subject"],
                description=data["description"],
                channel=Channel.API,
                order=data.get("order"),
            )
        except services.TicketError as exc:
            _raise_service_error(exc)
        return created(request, TicketOutputSerializer(ticket).data, url_name="ticket-detail", pk=ticket.pk)

    @extend_schema(summary="The ticket's messages, oldest first", responses=MessageOutputSerializer(many=True))
    # Only a new message (the POST mapped below) takes files; every other body is JSON.
    @action(detail=True, methods=["get"], filter_backends=[], parser_classes=[MultiPartParser, JSONParser])
    def messages(self, request, pk=None):
        ticket = self.get_object()
        qs = Message.objects.filter(ticket=ticket).select_related("author").prefetch_related("attachments")
        if not selectors.is_agent(request.user):
            qs = qs.filter(is_internal=False)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(MessageOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Write a message, with up to 5 attached files",
        # Documented as multipart, the one body that carries files; a JSON body without files
        # is still accepted for clients written before the split.
        request={"multipart/form-data": MessageCreateInputSerializer},
        responses={
            201: MessageOutputSerializer,
            409: OpenApiResponse(
                description="reply_collision: public messages newer than last_seen (newer_message_ids)."
            ),
        },
        parameters=[idempotency.PARAMETER],
    )
    @messages.mapping.post
    @idempotency.idempotent
    def add_message(self, request, pk=None):
        ticket = self.get_object()
        serializer = MessageCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        files = data.get("files", [])
        if selectors.is_agent(request.user) and not data["internal"] and "last_seen" in data:
            # Collision detection, as on the desk's reply form (tickets/presence.py).
            newer = presence.messages_public_since(ticket=ticket, after_id=data["last_seen"], viewer=request.user)
            if newer_ids := list(newer.values_list("pk", flat=True)):
                detail = "Someone else has written on this ticket since; read it, then send with a newer last_seen."
                body = {"detail": detail, "code": "reply_collision", "newer_message_ids": newer_ids}
                return Response(body, status=status.HTTP_409_CONFLICT)
        try:
            if selectors.is_agent(request.user) and selectors.agent_can_work_on(request.user, ticket):
                message = services.ticket_reply_agent(
                    ticket=ticket, agent=request.user, body=data["body"], internal=data["internal"], attachments=files
                )
            else:
                if data["internal"]:
                    raise PermissionDenied("Customers cannot write internal notes.")
                message = services.ticket_reply_customer(
                    ticket=ticket, customer=request.user, body=data["body"], attachments=files, channel=Channel.API
                ).message
        except services.TicketError as exc:
            _raise_service_error(exc)
        message = Message.objects.select_related("author").prefetch_related("attachments").get(pk=message.pk)
        return Response(MessageOutputSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Files attached to the ticket's messages", responses=AttachmentOutputSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def attachments(self, request, pk=None):
        ticket = self.get_object()
        qs = ticket.attachments.select_related("message")
        if not selectors.is_agent(request.user):
            qs = qs.exclude(message__is_internal=True)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(AttachmentOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Change the ticket's status", request=StatusInputSerializer, responses=TicketOutputSerializer
    )
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request, pk=None):
        """Agents move a ticket along the workflow; customers may only close their own."""
        ticket = self.get_object()
        serializer = StatusInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            ticket = services.ticket_change_status(
                ticket=ticket, status=serializer.validated_data["status"], actor=request.user
            )
        except services.TicketError as exc:
            _raise_service_error(exc)
        return Response(TicketOutputSerializer(self.get_queryset().get(pk=ticket.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="Queues a ticket can be opened in"),
    retrieve=extend_schema(summary="One queue"),
)
@extend_schema(tags=["queues"])
class QueueViewSet(RateLimitHeadersMixin, viewsets.ReadOnlyModelViewSet):
    """Active queues, to choose the ``queue`` of a new ticket."""

    serializer_class = QueueListOutputSerializer

    def get_queryset(self):
        return Queue.objects.filter(is_active=True).order_by("position", "name", "pk")
