from django.conf import settings
from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.views import healthz, ping
from inventory.views import home

handler404 = "accounts.views.page_not_found"
handler500 = "accounts.views.server_error"

admin.site.site_header = "StockDesk back office"
admin.site.site_title = "StockDesk"
admin.site.index_title = "Back office"

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("inventory.api.urls")),
    path("", include("tickets.api.urls")),
    path("", include("chatbot.api.urls")),
]


def favicon(request):
    # Browsers ask for /favicon.ico on every site, the admin included.
    return redirect(static("favicon.svg"), permanent=True)


urlpatterns = [
    path("favicon.ico", favicon),
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("ping", ping, name="ping"),
    path("accounts/", include("accounts.urls")),
    path("shop/", include("inventory.urls")),
    path("help/", include("chatbot.urls")),
    path("", include("tickets.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

if settings.DEBUG:
    urlpatterns += [path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
