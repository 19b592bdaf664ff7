"""Storefront caching: catalogue listings and product pages, in the default cache (Redis when scaled).

Two layers:

- **Whole pages for anonymous visitors** (home, catalogue pages, product pages): every anonymous
  visitor sees the same page except for the CSRF token in its forms. The page is rendered once
  with a placeholder where the token goes, and each hit swaps in this visitor's token (a string
  replace: the page then costs little more than the trivial view). Not used for signed-in
  visitors, for anything but GET, or when the visitor has a message waiting to be shown.
- **Data** for everybody else:

- **Catalogue listing** (the count, the page of products and the category list) for one set of
  filters, and the home page's new arrivals and deals, keyed by the *catalogue version*.
- **Product page data** (the product with its rating, stock status, delivery estimate and
  reviews), keyed by the catalogue version and the *product's version*.

Versions are numbers in the cache. A change bumps them **after its transaction commits**, so a
reader never caches what a rolled-back transaction wrote, and the next read after the commit
misses and rebuilds. What bumps what:

- product saved or deleted (admin, import, services): the catalogue and the product;
- category or store saved: the catalogue;
- any stock movement: the product (its page shows "Only 3 left" and a delivery date); the
  catalogue only when the product goes out of stock or comes back (listings show "Out of stock"),
  so a busy checkout does not empty the catalogue cache on every sale;
- review saved or deleted, or a purchase order line changed (the delivery estimate): the product.

Keys also carry today's date (launches and delivery estimates move with it). Entries expire after
``TTL`` seconds anyway, which bounds staleness if Redis was unreachable when a bump was due (the
resilient cache then drops the bump; during the outage nothing is read from the cache either).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone

logger = logging.getLogger(__name__)

TTL = 300
CATALOGUE_VERSION = "storefront:v:catalogue"


def _product_version_key(pk: int) -> str:
    return f"storefront:v:product:{pk}"


def _fresh_version() -> int:
    # Never reuse a number: entries written under an old version may still be in the cache.
    return time.time_ns()


def _versions(keys: list[str]) -> list[int]:
    found = cache.get_many(keys)
    missing = {key: _fresh_version() for key in keys if key not in found}
    for key, value in missing.items():
        # add() keeps a concurrent writer's number if it got there first.
        if not cache.add(key, value, timeout=None):
            value = cache.get(key, value)
        found[key] = value
    return [found[key] for key in keys]


def _bump(keys: list[str]) -> None:
    for key in keys:
        try:
            cache.incr(key)
        except ValueError:  # not set yet (or evicted): any fresh number invalidates
            cache.set(key, _fresh_version(), timeout=None)


class _Bump:
    """An on-commit bump of some version keys; remembers having run (see ``_writes_pending``)."""

    def __init__(self, keys: list[str]):
        self.keys = frozenset(keys)
        self.done = False

    def __call__(self) -> None:
        self.done = True
        _bump(list(self.keys))


def _bump_on_commit(keys: list[str]) -> None:
    transaction.on_commit(_Bump(keys))


def catalogue_changed() -> None:
    """Something every listing may show changed (a product, category or store)."""
    _bump_on_commit([CATALOGUE_VERSION])


def product_changed(pk: int, *, listing_changed: bool = False) -> None:
    """Product ``pk``'s page changed; ``listing_changed`` when listings show the change too."""
    keys = [_product_version_key(pk)]
    if listing_changed:
        keys.append(CATALOGUE_VERSION)
    _bump_on_commit(keys)


def _writes_pending(keys: list[str]) -> bool:
    """True inside a transaction that changed what ``keys`` version and has not committed yet.

    Such a reader must neither read the cache (it would miss its own writes) nor fill it (a
    rollback would leave the cache holding data that never existed).
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return False
    wanted = set(keys)
    return any(
        isinstance(callback, _Bump) and not callback.done and callback.keys & wanted
        for _savepoints, callback, _robust in connection.run_on_commit
    )


def _cached(key: str, versions: list[str], build: Callable[[], Any]) -> Any:
    if _writes_pending(versions):
        return build()
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, TTL)
    return value


def catalogue_listing(params: dict[str, str], build: Callable[[], Any]) -> Any:
    """The catalogue listing for ``params`` (filters, sort, page), from the cache or ``build()``."""
    (version,) = _versions([CATALOGUE_VERSION])
    digest = hashlib.blake2b(repr(sorted(params.items())).encode(), digest_size=12).hexdigest()
    return _cached(f"storefront:catalogue:{version}:{timezone.localdate():%Y%m%d}:{digest}", [CATALOGUE_VERSION], build)


CSRF_PLACEHOLDER = "csrf-token-placeholder-9c1e4b"  # what {% csrf_token %} writes into a cached page


def _plain_anonymous_get(request) -> bool:
    return (
        request.method == "GET"
        and not request.user.is_authenticated
        and not len(messages.get_messages(request))  # a waiting message is shown once, to one visitor
    )


def _anonymous_page(request, name: str, keys: list[str], params: dict, render: Callable[[dict], HttpResponse]):
    if not _plain_anonymous_get(request) or _writes_pending(keys):
        return render({})
    versions = ":".join(str(v) for v in _versions(keys))
    digest = hashlib.blake2b(repr(sorted(params.items())).encode(), digest_size=12).hexdigest()
    key = f"storefront:page:{name}:{versions}:{timezone.localdate():%Y%m%d}:{digest}"
    body = cache.get(key)
    if body is None:
        response = render({"csrf_token": CSRF_PLACEHOLDER})
        if response.status_code != 200 or response.streaming:
            return response
        body = response.content.decode(response.charset)
        cache.set(key, body, TTL)
    else:
        response = HttpResponse(content_type="text/html; charset=utf-8")
    # get_token() also makes the CSRF middleware set the cookie that goes with the token.
    response.content = body.replace(CSRF_PLACEHOLDER, get_token(request))
    return response


def catalogue_page(request, params: dict[str, str], render: Callable[[dict], HttpResponse]) -> HttpResponse:
    """A catalogue page (``params``: its normalised filters) as a whole for anonymous visitors."""
    return _anonymous_page(request, "catalogue", [CATALOGUE_VERSION], params, render)


def product_page_response(request, pk: int, slug: str, render: Callable[[dict], HttpResponse]) -> HttpResponse:
    """Product ``pk``'s page as a whole for anonymous visitors (a wrong ``slug`` redirects: not cached)."""
    keys = [CATALOGUE_VERSION, _product_version_key(pk)]
    return _anonymous_page(request, f"product:{pk}", keys, {"slug": slug}, render)


def home_page_response(request, render: Callable[[dict], HttpResponse]) -> HttpResponse:
    return _anonymous_page(request, "home", [CATALOGUE_VERSION], {}, render)


def home_page(build: Callable[[], Any]) -> Any:
    """The home page's new arrivals, deals and categories, from the cache or ``build()``."""
    return catalogue_listing({"page": "home"}, build)


def product_page(pk: int, build: Callable[[], Any]) -> Any:
    """Product ``pk``'s page data, from the cache or ``build()`` (which may raise Http404: not cached)."""
    keys = [CATALOGUE_VERSION, _product_version_key(pk)]
    catalogue, product = _versions(keys)
    return _cached(f"storefront:product:{pk}:{catalogue}:{product}:{timezone.localdate():%Y%m%d}", keys, build)
