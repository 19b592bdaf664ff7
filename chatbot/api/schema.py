"""OpenAPI: the chat's session authentication is DRF's session scheme (plus CSRF for visitors)."""

from drf_spectacular.authentication import SessionScheme


class ChatSessionScheme(SessionScheme):
    target_class = "chatbot.api.views.ChatSessionAuthentication"
    name = "chatCookieAuth"
