"""Help centre and chat: knowledge-base articles, conversations and their messages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse


class Article(models.Model):
    """A help-centre guideline. ``body`` is Markdown source; it is only ever shown sanitised."""

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown. Raw HTML, scripts and javascript: links are removed when shown.")
    category = models.CharField(max_length=80, db_index=True)
    tags = models.CharField(max_length=255, blank=True, help_text="Comma-separated.")
    example_questions = models.TextField(
        blank=True, help_text="One question per line: how customers ask for this (teaches the chat assistant)."
    )
    is_published = models.BooleanField("published", default=True)
    helpful_votes = models.PositiveIntegerField(default=0)
    not_helpful_votes = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "title"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="chatbot_article_title_not_empty"),
            models.CheckConstraint(condition=~Q(slug=""), name="chatbot_article_slug_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("chatbot:article", args=[self.slug])

    @property
    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.split(",") if t.strip()]

    @property
    def question_list(self) -> list[str]:
        return [q.strip() for q in self.example_questions.splitlines() if q.strip()]


class Conversation(models.Model):
    """One chat. Owned by a signed-in user, or by an anonymous visitor's session token."""

    class Status(models.TextChoices):
        BOT = "bot", "With the assistant"
        HANDED_OVER = "handed_over", "Handed over to a person"
        CLOSED = "closed", "Closed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="chat_conversations"
    )
    # Random token kept in the visitor's session data (it survives the session key change at login).
    visitor = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOT)
    # The ASK_* action of the bot's last reply, passed back to the engine with the next message.
    awaiting = models.CharField(max_length=32, blank=True)
    unsure_streak = models.PositiveSmallIntegerField(default=0)
    ticket = models.OneToOneField(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="chat_conversation"
    )
    handed_over_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(user__isnull=False) | ~Q(visitor=""), name="chatbot_conversation_owned"),
            models.CheckConstraint(
                condition=Q(status__in=["bot", "handed_over", "closed"]), name="chatbot_conversation_status_valid"
            ),
            # A handed-over conversation always has its ticket (and the ticket is unique: OneToOne).
            models.CheckConstraint(
                condition=~Q(status="handed_over") | Q(ticket__isnull=False, handed_over_at__isnull=False),
                name="chatbot_conversation_handover_has_ticket",
            ),
        ]
        indexes = [models.Index(fields=["user", "-updated_at"], name="chatbot_conv_user_updated")]

    def __str__(self) -> str:
        return f"Conversation {self.pk}"


class ChatMessage(models.Model):
    class Sender(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        BOT = "bot", "Assistant"
        SYSTEM = "system", "System"

    class Feedback(models.TextChoices):
        UP = "up", "Helpful"
        DOWN = "down", "Not helpful"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(max_length=10, choices=Sender.choices)
    text = models.TextField()
    # Bot replies: what the engine decided. Customer messages: the same, copied from the reply, so
    # the "unanswered questions" view reads one row per question.
    intent = models.CharField(max_length=24, blank=True)
    action = models.CharField(max_length=24, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    engine = models.CharField(max_length=16, blank=True)
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Links shown under the text ({"kind": "article"|"product"|"order"|"ticket"|"login", "title", "url"}),
    # built by the server with reverse(); the widget creates the anchors with DOM APIs.
    links = models.JSONField(default=list, blank=True)
    # Customer questions the bot could not answer, until an agent deals with them.
    needs_review = models.BooleanField(default=False, db_index=True)
    feedback = models.CharField(max_length=4, choices=Feedback.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sender__in=["customer", "bot", "system"]), name="chatbot_message_sender_valid"
            ),
            models.CheckConstraint(condition=Q(feedback__in=["", "up", "down"]), name="chatbot_message_feedback_valid"),
            # Only the bot's answers are rated; only customers' questions wait for review.
            models.CheckConstraint(condition=Q(feedback="") | Q(sender="bot"), name="chatbot_feedback_on_bot_only"),
            models.CheckConstraint(
                condition=Q(needs_review=False) | Q(sender="customer"), name="chatbot_review_on_customer_only"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_sender_display()}: {self.text[:40]}"


class UnansweredQuestion(ChatMessage):
    """Admin entry point for the questions the assistant could not answer (same rows)."""

    class Meta:
        proxy = True
        verbose_name = "unanswered question"
        verbose_name_plural = "unanswered questions"
