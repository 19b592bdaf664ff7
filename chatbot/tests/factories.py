import factory

from chatbot.models import Article, Conversation


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    slug = factory.Sequence(lambda n: f"article-{n}")
    title = factory.Sequence(lambda n: f"Article {n}")
    body = "Some **helpful** text."
    category = "General"


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    visitor = factory.Sequence(lambda n: f"visitor-{n}")
