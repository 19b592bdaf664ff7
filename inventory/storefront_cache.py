"""Storefront caching: catalogue listings and product pages, in the default cache (Redis when scaled).

Two layers:

- **Whole pages for anonymous visitors** (home, catalogue pages, product pages): every anonymous
  visitor sees the same page except for the CSRF token in its forms. The page is rendered once
  with a placeholder where the token goes, and each hit swaps in this visitor's token (a string
  replace: the page then costs little more than the trivial view). Not used for signed-in
  visitors, for anything but GET, or when the visitor has a message waiting to be shown.
- **Data** for everybody else: the catalogue listing (count, page of products, categories) for
  one set of filters and the home page's lists, valid for one *catalogue version*; a product
  page's data (the product with its rating, stock status, delivery estimate and reviews), valid
  for one catalogue version and one *product version*.

Versions are numbers in the cache. Each entry stores the versions it was built under and is read
in the same round trip as the current ones: if they differ, it is a miss and is rebuilt. A change
bumps the versions **after its transaction commits**, so a reader never caches what a
rolled-back transaction wrote, and the next read after the commit misses. What bumps what:

- product saved or deleted (admin, import, services): the catalogue and the product;
- category or store saved: the catalogue;
- any stock movement: the product (its page shows "Only 3 left" and a delivery date); the
  catalogue only when the product goes out of stock or comes back (listings show "Out of stock"),
  so a busy checkout does not empty the catalogue cache on every sale;
- review saved or deleted, or a purchase order line changed (the delivery estimate): the product.

Keys also carry today's date (launches and delivery estimates move with it). Entries expire after
``TTL`` seconds anyway, which bounds staleness if Redis was unreachable when a bump was due (the
cache, set to ignore Redis errors, then drops the bump; during the outage every read misses too).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from functools import partial
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


def _lookup(version_keys: list[str], key: str) -> tuple[tuple[int, ...], Any]:
    """The current versions of ``version_keys`` and the entry at ``key`` if it was built under them.

    One round trip: an entry stores the versions it was built under, so it is fetched together
    with the current ones and compared, instead of putting the versions into its key (which needs
    the versions first and the entry second).
    """
    found = dict(cache.get_many([*version_keys, key]))
    for version_key in version_keys:
        if version_key not in found:
            value = _fresh_version()
            # add() keeps a concurrent writer's number if it got there first.
            if not cache.add(version_key, value, timeout=None):
                value = cache.get(version_key, value)
            found[version_key] = value
    versions = tuple(found[version_key] for version_key in version_keys)
    entry = found.get(key)
    if entry is not None and entry[0] == versions:
        return versions, entry[1]
    return versions, None


def _bump(keys: list[str]) -> None:
    # A fresh number, never an increment: any new value invalidates every entry built under an
    # old one, and all keys go in one round trip.
    value = _fresh_version()
    cache.set_many(dict.fromkeys(keys, value), timeout=None)


def _bump_on_commit(keys: list[str]) -> None:
    transaction.on_commit(partial(_bump, keys))


def invalidate_all() -> None:
    """Every cached page and listing, now: each entry depends on the catalogue version."""
    _bump([CATALOGUE_VERSION])


def catalogue_changed() -> None:
    """Something every listing may show changed (a product, category or store)."""
    _bump_on_commit([CATALOGUE_VERSION])


def product_changed(pk: int, *, listing_changed: bool = False) -> None:
    """Product ``pk``'s page changed; ``listing_changed`` when listings show the change too."""
    keys = [_product_version_key(pk)]
    if listing_changed:
        keys.append(CATALOGUE_VERSION)
    _bump_on_commit(keys)


def _in_transaction() -> bool:
    """True inside ``transaction.atomic``: what the block changed is not committed yet.

    Such a reader must neither read the cache (it would miss its own writes, whose version bumps
    wait for the commit) nor fill it (a rollback would leave the cache holding data that never
    existed). Pages are read outside transactions, so they use the cache.
    """
    return not transaction.get_autocommit()


def _cached(key: str, version_keys: list[str], build: Callable[[], Any]) -> Any:
    if _in_transaction():
        return build()
    versions, value = _lookup(version_keys, key)
    if value is None:
        value = build()
        cache.set(key, (versions, value), TTL)
    return value


def _digest(params: dict) -> str:
    return hashlib.blake2b(repr(sorted(params.items())).encode(), digest_size=12).hexdigest()


def catalogue_listing(params: dict[str, str], build: Callable[[], Any]) -> Any:
    """The catalogue listing for ``params`` (filters, sort, page), from the cache or ``build()``."""
    key = f"storefront:catalogue:{timezone.localdate():%Y%m%d}:{_digest(params)}"
    return _cached(key, [CATALOGUE_VERSION], build)


CSRF_PLACEHOLDER = "csrf-token-placeholder-9c1e4b"  # what {% csrf_token %} writes into a cached page


def _plain_anonymous_get(request) -> bool:
    return (
        request.method == "GET"
        and not request.user.is_authenticated
        and not len(messages.get_messages(request))  # a waiting message is shown once, to one visitor
    )


def _anonymous_page(request, name: str, keys: list[str], params: dict, render: Callable[[dict], HttpResponse]):
    if not _plain_anonymous_get(request) or _in_transaction():
        return render({})
    key = f"storefront:page:{name}:{timezone.localdate():%Y%m%d}:{_digest(params)}"
    versions, body = _lookup(keys, key)
    if body is None:
        response = render({"csrf_token": CSRF_PLACEHOLDER})
        if response.status_code != 200 or response.streaming:
            return response
        body = response.content.decode(response.charset)
        cache.set(key, (versions, body), TTL)
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
    return _cached(f"storefront:product:{pk}:{timezone.localdate():%Y%m%d}", keys, build)
