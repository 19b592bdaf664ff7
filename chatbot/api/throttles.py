"""Chat rate limits: per visitor/user session and per IP, counted in the shared cache.

The throttle runs before the view, so a refused message is stored nowhere. Rates come from
settings (``CHATBOT_RATE_SESSION``, ``CHATBOT_RATE_IP``) with defaults that a person typing never hits.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from ..visitor import visitor_token


class ChatSessionThrottle(SimpleRateThrottle):
    scope = "chat_session"

    def get_rate(self):
        return getattr(settings, "CHATBOT_RATE_SESSION", "20/min")

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            # Created here if missing, so the very first request already counts against the session.
            ident = f"visitor-{visitor_token(request, create=True) or self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ChatIPThrottle(SimpleRateThrottle):
    scope = "chat_ip"

    def get_rate(self):
        return getattr(settings, "CHATBOT_RATE_IP", "60/min")

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
