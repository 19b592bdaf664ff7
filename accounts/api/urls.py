from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token

from .views import MeView

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("auth/token/", obtain_auth_token, name="auth-token"),
]
