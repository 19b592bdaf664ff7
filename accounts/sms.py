"""A small SMS backend interface, in the spirit of Django's email backends.

``send(to, body)`` returns a provider message id or raises ``SMSTransientError`` (try
again later: timeouts, 5xx, 429) or ``SMSPermanentError`` (never going to work: a bad
number, a rejected request). Pick the backend with the ``SMS_BACKEND`` setting.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SMSError(Exception):
    pass


class SMSTransientError(SMSError):
    pass


class SMSPermanentError(SMSError):
    pass


class BaseSMSBackend:
    def send(self, *, to: str, body: str) -> str:  # pragma: no cover - interface
        raise NotImplementedError


class FileSMSBackend(BaseSMSBackend):
    """Embedded default: appends each message to ``SMS_FILE_PATH`` and logs it."""

    _lock = threading.Lock()

    def send(self, *, to: str, body: str) -> str:
        message_id = uuid.uuid4().hex
        path = Path(settings.SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"id": message_id, "to": to, "body": body, "at": timezone.now().isoformat()})
        with self._lock, path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        logger.info("SMS to %s written to %s", to, path)
        return message_id


class LocMemSMSBackend(BaseSMSBackend):
    """For tests: messages collect in ``LocMemSMSBackend.outbox``."""

    outbox: list[dict] = []

    def send(self, *, to: str, body: str) -> str:
        message_id = uuid.uuid4().hex
        self.outbox.append({"id": message_id, "to": to, "body": body})
        return message_id


class HTTPGatewaySMSBackend(BaseSMSBackend):
    """POSTs JSON ``{"to", "from", "body"}`` to ``SMS_GATEWAY_URL`` with a bearer token.

    Most SMS providers accept this shape (or a thin proxy can adapt it). 2xx is success;
    429 and 5xx and network errors are transient; other 4xx are permanent.
    """

    timeout = 10

    def send(self, *, to: str, body: str) -> str:
        payload = json.dumps({"to": to, "from": settings.SMS_SENDER, "body": body}).encode()
        request = urllib.request.Request(  # noqa: S310 - URL comes from settings, not users
            settings.SMS_GATEWAY_URL,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = f"SMS gateway answered {exc.code}"
            if exc.code == 429 or exc.code >= 500:
                raise SMSTransientError(detail) from exc
            raise SMSPermanentError(detail) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SMSTransientError(f"SMS gateway unreachable: {exc}") from exc
        try:
            return str(json.loads(raw or b"{}").get("id", ""))
        except ValueError:
            return ""


def get_sms_backend() -> BaseSMSBackend:
    return import_string(settings.SMS_BACKEND)()
