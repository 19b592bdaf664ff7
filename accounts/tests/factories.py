"""Factories for accounts; other apps' tests build on these."""

from __future__ import annotations

import factory
from django.contrib.auth.models import Group

from accounts.models import Role, Store, StoreMembership, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


def _with_role(default_role: str):
    """A post-generation hook adding the user to ``default_role`` (or the role passed in)."""

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        obj.groups.add(Group.objects.get(name=extracted or default_role))
        if create:
            obj.save()

    return role


class CustomerFactory(UserFactory):
    role = _with_role(Role.CUSTOMER)


class AgentFactory(UserFactory):
    is_staff = True
    role = _with_role(Role.AGENT)


class RetailerFactory(UserFactory):
    is_staff = True
    role = _with_role(Role.RETAILER)


class OpsFactory(UserFactory):
    is_staff = True
    role = _with_role(Role.OPS)


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Store {n}")
    slug = factory.Sequence(lambda n: f"store-{n}")
    alert_emails = factory.LazyAttribute(lambda s: f"alerts@{s.slug}.example.com")
    monthly_budget = 1000


class StoreMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoreMembership

    user = factory.SubFactory(RetailerFactory)
    store = factory.SubFactory(StoreFactory)
    role = StoreMembership.Role.OWNER


def retailer_of(store: Store, **kwargs) -> User:
    """A retailer user who belongs to ``store``."""
    user = RetailerFactory(**kwargs)
    StoreMembershipFactory(user=user, store=store)
    return user
