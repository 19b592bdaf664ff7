from rest_framework import serializers

from ..models import Store, StoreMembership, User


class MembershipOutputSerializer(serializers.ModelSerializer):
    """One store the user works for, and as what."""

    id = serializers.IntegerField(source="store_id", read_only=True, help_text="The store's id.")
    name = serializers.CharField(source="store.name", read_only=True)
    slug = serializers.CharField(source="store.slug", read_only=True)

    class Meta:
        model = StoreMembership
        fields = ["id", "name", "slug", "role"]
        read_only_fields = fields


class MeOutputSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    stores = MembershipOutputSerializer(source="memberships", many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "name", "phone", "sms_opt_in", "roles", "stores", "date_joined"]
        read_only_fields = fields

    def get_roles(self, obj) -> list[str]:
        return sorted(obj.role_names)


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


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text="Send it as `Authorization: Token <token>`.")


class StoreOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Store
        fields = ["id", "name", "slug"]
        read_only_fields = fields
