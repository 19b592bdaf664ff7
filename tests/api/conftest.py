# The chatbot's test engine (lexical, built once per session) and help-centre articles.
from chatbot.tests.conftest import django_chat_engine, help_centre  # noqa: F401
