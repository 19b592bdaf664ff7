from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import MeView, StoreViewSet, TokenView

router = SimpleRouter()
router.register("stores", StoreViewSet, basename="store")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    *router.urls,
]
