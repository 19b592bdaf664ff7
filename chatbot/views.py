"""Help-centre pages: categories and search, one page per article, votes (POST only)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .models import ChatMessage
from .rendering import render_markdown

VOTED_KEY = "help_votes"


@require_GET
def help_index(request):
    query = request.GET.get("q", "").strip()[:200]
    articles = selectors.article_list_published(query=query)
    return render(
        request,
        "chatbot/help_index.html",
        {"categories": selectors.article_categories(articles), "query": query, "count": len(articles)},
    )


@require_GET
def article_detail(request, slug: str):
    article = selectors.article_get_published(slug=slug)
    voted = article.pk in request.session.get(VOTED_KEY, [])
    # The body is sanitised by nh3 in render_markdown, which is what makes mark_safe correct here.
    body_html = mark_safe(render_markdown(article.body))  # noqa: S308
    return render(request, "chatbot/article.html", {"article": article, "body_html": body_html, "voted": voted})


@require_POST
def article_vote(request, slug: str):
    article = selectors.article_get_published(slug=slug)
    choice = request.POST.get("helpful")
    if choice not in ("yes", "no"):
        messages.error(request, "Choose “yes” or “no”.")
        return redirect(article)
    voted = request.session.get(VOTED_KEY, [])
    if article.pk in voted:
        messages.info(request, "You already told us about this article. Thank you!")
        return redirect(article)
    services.article_vote(article=article, helpful=choice == "yes")
    request.session[VOTED_KEY] = [*voted, article.pk][-200:]
    messages.success(request, "Thank you for your feedback.")
    return redirect(article)


@login_required
@require_GET
def conversation_list(request):
    conversations = (
        selectors.conversation_list_for(user=request.user, visitor="")
        .select_related("ticket")
        .prefetch_related(Prefetch("messages", queryset=ChatMessage.objects.order_by("created_at", "id")))[:50]
    )
    return render(request, "chatbot/conversations.html", {"conversations": conversations})
