from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import services
from .serializers import MeInputSerializer, MeOutputSerializer


class MeView(APIView):
    """The caller's own account."""

    @extend_schema(responses=MeOutputSerializer)
    def get(self, request):
        return Response(MeOutputSerializer(request.user).data)

    @extend_schema(request=MeInputSerializer, responses=MeOutputSerializer)
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
        return Response(MeOutputSerializer(user).data)
