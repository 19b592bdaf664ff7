import functools

from django.templatetags.static import static
from django.urls import get_script_prefix, reverse

# The navbar's links and assets (templates/base.html): the same on every page, so each is
# resolved once per process (and URL prefix) instead of by fourteen {% url %} and five
# {% static %} tags on every page; together they were a fifth of a signed-in page's template time.
NAV_URLS = {
    "home": "home",
    "catalogue": "storefront:catalogue",
    "cart": "storefront:cart",
    "help": "chatbot:index",
    "orders": "storefront:order_list",
    "returns": "storefront:return_list",
    "requests": "tickets:list",
    "desk": "tickets:desk",
    "back_office": "admin:index",
    "profile": "accounts:profile",
    "logout": "accounts:logout",
    "login": "accounts:login",
    "signup": "accounts:signup",
    "api_docs": "api-docs",
}
ASSETS = {
    "favicon": "favicon.svg",
    "bootstrap_css": "vendor/bootstrap/bootstrap.min.css",
    "site_css": "css/stockdesk.css",
    "chat_css": "css/chat.css",
    "bootstrap_js": "vendor/bootstrap/bootstrap.bundle.min.js",
    "desk_js": "js/desk.js",  # the desk's pages (not base.html)
}


@functools.lru_cache(maxsize=8)
def _site(script_prefix: str) -> dict:
    # reverse() and static() read the prefix of the request being served; it is the cache key.
    return {
        "nav": {key: reverse(name) for key, name in NAV_URLS.items()},
        "assets": {key: static(path) for key, path in ASSETS.items()},
    }


def site(request):
    """``nav`` (the navbar's URLs) and ``assets`` (base.html's static files)."""
    return _site(get_script_prefix())


def roles(request):
    """Expose the user's roles so the navbar shows what each role can do."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"roles": frozenset()}
    return {"roles": user.role_names}
