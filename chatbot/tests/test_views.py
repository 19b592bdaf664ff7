"""Help-centre pages: categories and search, sanitised article bodies, POST-only votes."""

from django.urls import reverse

from chatbot.models import Article
from chatbot.tests.factories import ArticleFactory

HOSTILE = (
    "Hello <script>alert('x')</script> world.\n\n"
    "[click me](javascript:alert(1)) and [fine](https://example.com/ok)\n\n"
    '<div onclick="steal()" style="color:red">raw html</div> <img src=x onerror="alert(2)">\n\n'
    "<iframe src='https://evil.example'></iframe>"
)


def test_help_index_lists_categories_with_a_query_budget(client, help_centre, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get(reverse("chatbot:index"))

    assert response.status_code == 200
    categories = [c for c, _ in response.context["categories"]]
    assert "Shipping and delivery" in categories
    assert response.context["count"] == Article.objects.filter(is_published=True).count() >= 40


def test_help_index_query_count_does_not_grow_with_articles(client, db, django_assert_num_queries):
    ArticleFactory.create_batch(30)
    with django_assert_num_queries(1):
        client.get(reverse("chatbot:index"))


def test_search_finds_matching_articles_only(client, help_centre):
    response = client.get(reverse("chatbot:index"), {"q": "cash on delivery"})

    titles = [a.title for _, articles in response.context["categories"] for a in articles]
    assert "Paying cash on delivery" in titles
    assert "Resetting your password" not in titles


def test_unpublished_article_is_404(client, db):
    article = ArticleFactory(is_published=False)

    assert client.get(article.get_absolute_url()).status_code == 404


def test_article_body_is_sanitised_on_the_help_page(client, db):
    article = ArticleFactory(body=HOSTILE)

    html = client.get(article.get_absolute_url()).content.decode()

    body = html.split('class="help-article-body">', 1)[1].split("</article>", 1)[0]
    assert "<script" not in body
    assert "javascript:" not in body
    assert "onclick" not in body
    assert "onerror" not in body
    assert "<iframe" not in body
    assert "<img" not in body
    assert "style=" not in body
    assert '<a href="https://example.com/ok" rel="noopener noreferrer nofollow">fine</a>' in body
    assert "raw html" in body  # the text stays, the markup goes


def test_vote_counts_once_per_session(client, db):
    article = ArticleFactory()
    url = reverse("chatbot:vote", args=[article.slug])

    client.post(url, {"helpful": "yes"})
    client.post(url, {"helpful": "yes"})
    client.post(url, {"helpful": "no"})

    article.refresh_from_db()
    assert (article.helpful_votes, article.not_helpful_votes) == (1, 0)


def test_vote_by_get_or_with_bad_choice_changes_nothing(client, db):
    article = ArticleFactory()
    url = reverse("chatbot:vote", args=[article.slug])

    get = client.get(url, {"helpful": "yes"})
    bad = client.post(url, {"helpful": "maybe"}, follow=True)

    article.refresh_from_db()
    assert get.status_code == 405
    assert "Choose “yes” or “no”." in bad.content.decode()
    assert (article.helpful_votes, article.not_helpful_votes) == (0, 0)


def test_vote_on_unknown_article_is_404(client, db):
    assert client.post(reverse("chatbot:vote", args=["nope"]), {"helpful": "yes"}).status_code == 404


def test_widget_is_on_storefront_and_help_pages(client, help_centre):
    for url in [reverse("chatbot:index"), reverse("storefront:catalogue")]:
        html = client.get(url).content.decode()
        assert 'id="chat-widget"' in html
        assert "js/chat.js" in html


def test_past_conversations_only_the_users_own(client, customer, help_centre):
    from accounts.tests.factories import CustomerFactory
    from chatbot import services

    own = services.conversation_start(user=customer, visitor="")
    services.chatbot_reply(conversation=own, text="how much is shipping?")
    other = services.conversation_start(user=CustomerFactory(), visitor="")
    services.chatbot_reply(conversation=other, text="my secret question about returns")
    client.force_login(customer)

    html = client.get(reverse("chatbot:conversations")).content.decode()

    assert "how much is shipping?" in html
    assert "my secret question" not in html


def test_past_conversations_need_login(client, db):
    response = client.get(reverse("chatbot:conversations"))

    assert response.status_code == 302
    assert "/accounts/login/" in response.url
