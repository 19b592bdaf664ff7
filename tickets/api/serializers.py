from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from ..models import Attachment, Message, Queue, Status, Ticket


class QueueOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Queue
        fields = ["id", "name", "slug"]
        read_only_fields = fields


class QueueListOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Queue
        fields = ["id", "name", "slug", "description"]
        read_only_fields = fields


class TicketOutputSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    queue = QueueOutputSerializer(read_only=True)
    assignee = serializers.SerializerMethodField()
    requester = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "reference",
            "subject",
            "description",
            "status",
            "priority",
            "channel",
            "queue",
            "requester",
            "order",
            "assignee",
            "first_response_due_at",
            "resolution_due_at",
            "resolved_at",
            "csat_score",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_assignee(self, obj) -> str | None:
        return obj.assignee.get_short_name() if obj.assignee_id else None

    def get_requester(self, obj) -> str:
        return obj.requester.email


class TicketCreateInputSerializer(serializers.Serializer):
    """What a customer may send: nothing about requester, assignee, status or priority."""

    queue = serializers.PrimaryKeyRelatedField(queryset=Queue.objects.filter(is_active=True))
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20000)
    order = serializers.IntegerField(required=False, min_value=1, help_text="One of your own orders (id).")

    def validate_order(self, value):
        # Another customer's order id is answered exactly like a missing one.
        from inventory.selectors import order_list_for_customer

        order = order_list_for_customer(self.context["request"].user).filter(pk=value).first()
        if order is None:
            raise serializers.ValidationError("No such order.")
        return order


class AttachmentOutputSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "created_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        return reverse("tickets:attachment", args=[obj.storage_key])


class MessageOutputSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    attachments = AttachmentOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "author_kind", "author", "body", "is_internal", "channel", "created_at", "attachments"]
        read_only_fields = fields

    def get_author(self, obj) -> str:
        if obj.author_kind == Message.AuthorKind.AGENT:
            return obj.author.get_short_name() if obj.author else "Support"
        return obj.author.get_full_name() if obj.author else obj.get_author_kind_display()


class MessageCreateInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20000)
    internal = serializers.BooleanField(default=False)
    files = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=5, help_text="Up to 5 files (multipart)."
    )
    last_seen = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="Agents: the newest message id you have read. A public reply is refused with 409 "
        "(code reply_collision) when someone else has written publicly since.",
    )


class StatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
