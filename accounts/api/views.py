from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk_project.api import RateLimitHeadersMixin

from .. import services
from ..models import User
from ..selectors import store_list_for_user
from .serializers import MeInputSerializer, MeOutputSerializer, StoreOutputSerializer, TokenOutputSerializer


class MeView(RateLimitHeadersMixin, APIView):
    """The caller's own account."""

    @extend_schema(summary="Your account", tags=["me"], responses=MeOutputSerializer)
    def get(self, request):
        return Response(MeOutputSerializer(self._me(request)).data)

    @extend_schema(summary="Change your name, phone or SMS choice", tags=["me"], request=MeInputSerializer,
                   responses=MeOutputSerializer)  # fmt: skip
    def patch(self, request):
        serializer = MeInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = request.user
        data = serializer.validated_data
        services.user_update_profile(
            user=user,
            name=data.get("name", user.name),
            phone=data.get("phone", user.phone),
            sms_opt_in=data.get("sms_opt_in", user.sms_opt_in),
        )
        return Response(MeOutputSerializer(self._me(request)).data)

    def _me(self, request):
        return User.objects.prefetch_related("memberships__store").get(pk=request.user.pk)


class TokenView(RateLimitHeadersMixin, APIView):
    """Obtain the API token of an account (email + password), or revoke the one you call with."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    @extend_schema(
        summary="Obtain your API token",
        description="`username` is the account's email address. The same token is returned until it is revoked.",
        tags=["auth"],
        request=AuthTokenSerializer,
        responses={200: TokenOutputSerializer},
        auth=[],
    )
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})

    @extend_schema(summary="Revoke your API token", tags=["auth"], request=None, responses={204: None})
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="Stores you work for (ops: every store)"),
    retrieve=extend_schema(summary="One of your stores"),
)
@extend_schema(tags=["stores"])
class StoreViewSet(RateLimitHeadersMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = StoreOutputSerializer

    def get_queryset(self):
        return store_list_for_user(self.request.user).order_by("name", "pk")
