from rest_framework import serializers

from ..models import User


class MeOutputSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    stores = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "name", "phone", "sms_opt_in", "roles", "stores", "date_joined"]
        read_only_fields = fields

    def get_roles(self, obj) -> list[str]:
        return sorted(obj.role_names)

    def get_stores(self, obj) -> list[dict]:
        return [
            {"id": m.store_id, "name": m.store.name, "role": m.role} for m in obj.memberships.select_related("store")
        ]


class MeInputSerializer(serializers.Serializer):
    """Only these fields can be changed by the user; email, roles and staff flags cannot."""

    name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.RegexField(
        r"^\+\d{7,15}$",
        required=False,
        allow_blank=True,
        error_messages={"invalid": "Use the international format, e.g. +31612345678."},
    )
    sms_opt_in = serializers.BooleanField(required=False)

    def validate(self, attrs):
        user = self.context["request"].user
        phone = attrs.get("phone", user.phone)
        if attrs.get("sms_opt_in", user.sms_opt_in) and not phone:
            raise serializers.ValidationError({"phone": "Add a phone number to receive SMS updates."})
        return attrs
