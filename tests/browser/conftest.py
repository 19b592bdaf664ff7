# The chatbot's test engine (built once per session) and help-centre articles, for the chat panel.
from chatbot.tests.conftest import django_chat_engine, help_centre  # noqa: F401
