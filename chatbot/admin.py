"""Help centre and chat in Django admin: articles with a sanitised preview, conversations (read
only), and the questions the assistant could not answer, grouped, with "create article from these"."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from accounts.admin_mixins import ReadOnlyAdminMixin

from . import services
from .grouping import group_similar
from .models import Article, ChatMessage, Conversation, UnansweredQuestion
from .rendering import render_markdown
from .runtime import embed_texts

MAX_REVIEW_QUESTIONS = 500


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "is_published", "helpful_votes", "not_helpful_votes", "updated_at"]
    list_filter = ["is_published", "category"]
    search_fields = ["title", "body", "tags", "example_questions"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["helpful_votes", "not_helpful_votes", "preview"]
    fields = [
        "title", "slug", "category", "tags", "is_published", "body", "preview", "example_questions",
        "helpful_votes", "not_helpful_votes",
    ]  # fmt: skip

    class Media:
        js = ["js/chat-article-preview.js"]

    @admin.display(description="Preview")
    def preview(self, obj):
        # Rendered in a sandboxed frame (no scripts, no same-origin) from the sanitised HTML; the
        # script updates it live from the body field through the preview endpoint.
        html = render_markdown(obj.body) if obj and obj.pk else ""
        return format_html(
            '<iframe class="chat-article-preview" title="Article preview" sandbox="" srcdoc="{}" '
            'data-preview-url="{}" style="width:100%;min-height:320px;border:1px solid #ccc;background:#fff"></iframe>',
            html,
            reverse("admin:chatbot_article_preview"),
        )

    def get_urls(self):
        return [
            path("preview/", self.admin_site.admin_view(self.preview_view), name="chatbot_article_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (self.has_change_permission(request) or self.has_add_permission(request)):
            return HttpResponse(status=403)
        html = render_markdown(request.POST.get("body", "")[:100_000])
        return HttpResponse(html, content_type="text/html; charset=utf-8")

    def save_model(self, request, obj, form, change):
        services.article_save(article=obj)


class ChatMessageInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ChatMessage
    fields = ["created_at", "sender", "text", "intent", "action", "confidence", "feedback"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return True


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pk", "user", "status", "ticket_link", "created_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["user__email", "messages__text"]
    list_select_related = ["user", "ticket"]
    inlines = [ChatMessageInline]

    @admin.display(description="Ticket")
    def ticket_link(self, obj):
        if not obj.ticket_id:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("tickets:desk_ticket", args=[obj.ticket_id]), obj.ticket.reference
        )


@admin.register(UnansweredQuestion)
class UnansweredQuestionAdmin(admin.ModelAdmin):
    """One page: open questions grouped by similarity; each group creates a draft article in one click."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("", self.admin_site.admin_view(self.grouped_view), name="chatbot_unansweredquestion_changelist"),
            *super().get_urls()[1:],
        ]

    def _open_questions(self):
        return list(
            UnansweredQuestion.objects.filter(needs_review=True, sender=ChatMessage.Sender.CUSTOMER).order_by(
                "-created_at"
            )[:MAX_REVIEW_QUESTIONS]
        )

    def grouped_view(self, request):
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        if request.method == "POST":
            return self._act(request)
        questions = self._open_questions()
        texts = [q.text for q in questions]
        groups = [[questions[i] for i in group] for group in group_similar(texts, embeddings=embed_texts(texts))]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Questions the assistant could not answer",
            "groups": groups,
            "total": len(questions),
            "can_change": self.has_change_permission(request),
        }
        return TemplateResponse(request, "chatbot/admin_unanswered.html", context)

    def _act(self, request):
        if not self.has_change_permission(request) or not request.user.has_perm("chatbot.add_article"):
            return HttpResponse(status=403)
        ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
        questions = list(UnansweredQuestion.objects.filter(pk__in=ids, needs_review=True, sender="customer"))
        if not questions:
            messages.error(request, "Those questions were already dealt with.")
            return redirect("admin:chatbot_unansweredquestion_changelist")
        if request.POST.get("action") == "dismiss":
            n = services.questions_dismiss(questions=questions)
            messages.success(request, f"{n} question(s) dismissed.")
            return redirect("admin:chatbot_unansweredquestion_changelist")
        article = services.article_create_from_questions(questions=questions)
        messages.success(
            request,
            mark_safe(  # noqa: S308 - format_html escapes the title
                format_html("Draft article “{}” created from {} question(s): write the answer and publish it.",
                            article.title, len(questions))
            ),
        )  # fmt: skip
        return redirect("admin:chatbot_article_change", article.pk)
