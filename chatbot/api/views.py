"""Chat API: start a conversation, send a message, read one's own conversations, hand over, rate.

Anonymous visitors use it through their session (the conversation belongs to a token in the
session's data); signed-in customers through their session or a token. Anything not the asker's
answers 404.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import NotFound, Throttled, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS, AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from helpdesk_project.api import RateLimitHeadersMixin, service_error

from .. import selectors, services
from ..models import ChatMessage, Conversation
from ..visitor import visitor_token
from . import schema  # noqa: F401  (registers the OpenAPI scheme for ChatSessionAuthentication)
from .serializers import (
    ConversationPageSerializer,
    ConversationSerializer,
    ConversationSummarySerializer,
    FeedbackInputSerializer,
    FeedbackOutputSerializer,
    MessageInputSerializer,
)
from .throttles import ChatIPThrottle, ChatSessionThrottle


class ChatSessionAuthentication(SessionAuthentication):
    """Session auth that also checks CSRF for anonymous visitors' writes (DRF skips it for them),
    so another site cannot post into a visitor's chat."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None and request.method not in SAFE_METHODS:
            self.enforce_csrf(request)
        return result


@extend_schema(tags=["chat"])
class ChatAPIView(RateLimitHeadersMixin, APIView):
    authentication_classes = [TokenAuthentication, ChatSessionAuthentication]
    permission_classes = [AllowAny]

    def throttled(self, request, wait):
        seconds = int(wait) if wait else None
        detail = "You are sending messages too quickly."
        if seconds:
            detail += f" Please wait {seconds} second{'s' if seconds != 1 else ''} and try again."
        raise Throttled(wait=wait, detail=detail)

    def owner(self, *, create_visitor: bool = False):
        user = self.request.user if self.request.user.is_authenticated else None
        return user, visitor_token(self.request, create=create_visitor)

    def get_conversation(self, pk) -> Conversation:
        user, visitor = self.owner()
        try:
            conversation = selectors.conversation_get_for(user=user, visitor=visitor, pk=pk)
        except Http404:
            raise NotFound("No such conversation.") from None
        if user is not None and conversation.user_id is None:
            conversation = services.conversation_claim(conversation=conversation, user=user)
        return conversation

    def conversation_data(self, conversation: Conversation) -> dict:
        conversation = (
            Conversation.objects.select_related("ticket").prefetch_related("messages").get(pk=conversation.pk)
        )
        entries = selectors.conversation_transcript(conversation)
        return ConversationSerializer(conversation, context={"entries": entries}).data


def _service_error(exc: services.ChatError):
    raise service_error(exc)


class ConversationListView(ChatAPIView):
    def throttles_for_request(self):
        if self.request.method == "POST":
            return [ChatSessionThrottle(), ChatIPThrottle()]
        return [AnonRateThrottle(), UserRateThrottle()]

    @extend_schema(
        summary="Your conversations, newest first",
        responses=ConversationPageSerializer,
        parameters=[OpenApiParameter("page", int, description="A page number within the paginated result set.")],
        operation_id="chat_conversations_list",
    )
    def get(self, request):
        user, visitor = self.owner()
        qs = selectors.conversation_list_for(user=user, visitor=visitor).select_related("ticket")
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(ConversationSummarySerializer(page, many=True).data)

    @extend_schema(summary="Start a conversation", request=None, responses={201: ConversationSerializer})
    def post(self, request):
        user, visitor = self.owner(create_visitor=True)
        try:
            conversation = services.conversation_start(user=user, visitor=visitor)
        except services.ChatError as exc:
            _service_error(exc)
        return Response(self.conversation_data(conversation), status=status.HTTP_201_CREATED)


class ConversationDetailView(ChatAPIView):
    @extend_schema(summary="Read one of your conversations (with agent replies after a hand-over)",
                   responses={200: ConversationSerializer, 404: OpenApiResponse(description="Not yours or unknown")})  # fmt: skip
    def get(self, request, pk: str):
        return Response(self.conversation_data(self.get_conversation(pk)))


class MessageCreateView(ChatAPIView):
    throttle_classes = [ChatSessionThrottle, ChatIPThrottle]

    @extend_schema(
        summary="Send a message; the answer (or the hand-over) comes back with the conversation",
        request=MessageInputSerializer,
        responses={
            201: ConversationSerializer,
            400: OpenApiResponse(description="Empty or oversized message"),
            404: OpenApiResponse(description="Not yours or unknown"),
            429: OpenApiResponse(description="Too many messages; nothing was stored"),
        },
    )
    def post(self, request, pk: str):
        conversation = self.get_conversation(pk)
        data = MessageInputSerializer(data=request.data)
        if not data.is_valid():
            first = next(iter(data.errors.values()))[0]
            raise ValidationError(str(first), code=first.code)
        try:
            services.chatbot_reply(conversation=conversation, text=data.validated_data["text"])
        except services.ChatError as exc:
            _service_error(exc)
        return Response(self.conversation_data(conversation), status=status.HTTP_201_CREATED)


class HandOverView(ChatAPIView):
    throttle_classes = [ChatSessionThrottle, ChatIPThrottle]

    @extend_schema(
        summary="Hand the conversation to a person (opens one ticket; calling again changes nothing)",
        request=None,
        responses={200: ConversationSerializer, 400: OpenApiResponse(description="Log in first")},
    )
    def post(self, request, pk: str):
        conversation = self.get_conversation(pk)
        if conversation.user_id is None:
            return Response(
                {"detail": services.LOGIN_FOR_HANDOVER_TEXT, "code": "login_required", "login_required": True},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            conversation = services.conversation_hand_over(
                conversation=conversation, reason="clicked “talk to a person”"
            )
        except services.ChatError as exc:
            _service_error(exc)
        return Response(self.conversation_data(conversation))


class FeedbackView(ChatAPIView):
    throttle_classes = [ChatSessionThrottle, ChatIPThrottle]

    @extend_schema(summary="Thumbs up/down on one of the assistant's replies", request=FeedbackInputSerializer,
                   responses={200: FeedbackOutputSerializer})  # fmt: skip
    def post(self, request, pk: str):
        user, visitor = self.owner()
        conversations = selectors.conversation_list_for(user=user, visitor=visitor)
        # The id as the transcript hands it out ("m10"); a bare number ("10") as before.
        number = str(pk).removeprefix("m")
        message = ChatMessage.objects.filter(
            pk=int(number) if number.isdigit() else 0, conversation__in=conversations
        ).first()
        if message is None:
            raise NotFound("No such message.")
        data = FeedbackInputSerializer(data=request.data)
        if not data.is_valid():
            raise ValidationError("Feedback is “up” or “down”.", code="invalid_choice")
        try:
            message = services.message_feedback(message=message, value=data.validated_data["value"])
        except services.ChatError as exc:
            _service_error(exc)
        return Response({"id": f"m{message.pk}", "feedback": message.feedback})
