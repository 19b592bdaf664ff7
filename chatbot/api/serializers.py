from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import ChatMessage, Conversation
from ..services import MAX_MESSAGE_LENGTH


class MessageInputSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=MAX_MESSAGE_LENGTH,
        trim_whitespace=True,
        error_messages={"blank": "Write a message first.", "max_length": f"Messages are at most {MAX_MESSAGE_LENGTH} characters."},
    )  # fmt: skip


class FeedbackInputSerializer(serializers.Serializer):
    value = serializers.ChoiceField(choices=ChatMessage.Feedback.choices)


class LinkSerializer(serializers.Serializer):
    kind = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField()


class EntrySerializer(serializers.Serializer):
    """One line of the chat: the customer, the assistant, a system note, or an agent's reply."""

    id = serializers.CharField(
        help_text="m<id> for chat messages (rateable when sent by the bot: pass this id as it is to "
        "`/chat/messages/{id}/feedback/`), t<id> for agent replies."
    )
    sender = serializers.ChoiceField(choices=["customer", "bot", "system", "agent"])
    text = serializers.CharField(help_text="Plain text: show it as text, never as HTML.")
    created_at = serializers.DateTimeField()
    links = LinkSerializer(many=True)
    feedback = serializers.CharField(allow_blank=True, help_text="up, down, or empty when not rated.")
    rateable = serializers.BooleanField()
    author_name = serializers.CharField(allow_blank=True)


class ConversationSummarySerializer(serializers.ModelSerializer):
    ticket_reference = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=Conversation.Status.choices, read_only=True)

    class Meta:
        model = Conversation
        fields = ["id", "status", "ticket_reference", "created_at", "updated_at"]

    def get_ticket_reference(self, obj) -> str:
        return obj.ticket.reference if obj.ticket_id else ""


class ConversationSerializer(ConversationSummarySerializer):
    messages = serializers.SerializerMethodField()

    class Meta(ConversationSummarySerializer.Meta):
        fields = [*ConversationSummarySerializer.Meta.fields, "messages"]

    @extend_schema_field(EntrySerializer(many=True))
    def get_messages(self, obj):
        return EntrySerializer(self.context["entries"], many=True).data


class FeedbackOutputSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The rated message, as `m<id>`.")
    feedback = serializers.ChoiceField(choices=ChatMessage.Feedback.choices)


class ConversationPageSerializer(serializers.Serializer):
    """One page of conversations, as the list endpoint answers it."""

    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = ConversationSummarySerializer(many=True)
