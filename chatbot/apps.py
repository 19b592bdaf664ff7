import os
import sys
import threading

from django.apps import AppConfig


def _serving() -> bool:
    """True in a web server process (gunicorn worker, runserver's serving child), not in commands."""
    flag = os.environ.get("CHATBOT_WARM_UP", "").lower()
    if flag in ("0", "false", "no"):
        return False
    if flag in ("1", "true", "yes"):
        return True
    program = os.path.basename(sys.argv[0]) if sys.argv else ""
    if "gunicorn" in program:
        return True
    return "runserver" in sys.argv and (os.environ.get("RUN_MAIN") == "true" or "--noreload" in sys.argv)


def _warm_up() -> None:
    from . import runtime

    runtime.warm_up()  # logs how long it took, or why it failed; never raises


class ChatbotConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chatbot"

    def ready(self):
        # The desk's suggested answers use the chat's article search (tickets cannot import chatbot).
        from tickets.suggestions import register_article_provider

        from .desk_suggestions import article_suggestions

        register_article_provider(article_suggestions)
        # The engine trains its intent model and embeds the articles when built (seconds): do it in
        # the background as the server starts, so the first customer does not wait for it.
        if _serving():
            threading.Thread(target=_warm_up, name="chatbot-warm-up", daemon=True).start()
