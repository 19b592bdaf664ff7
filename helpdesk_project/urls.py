from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.views import healthz
from inventory.views import home

admin.site.site_header = "StockDesk back office"
admin.site.site_title = "StockDesk"
admin.site.index_title = "Back office"

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("inventory.api.urls")),
    path("", include("tickets.api.urls")),
    path("", include("chatbot.api.urls")),
]

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("shop/", include("inventory.urls")),
    path("help/", include("chatbot.urls")),
    path("", include("tickets.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

if settings.DEBUG:
    urlpatterns += [path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
