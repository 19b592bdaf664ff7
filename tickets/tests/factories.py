from __future__ import annotations

import factory

from accounts.tests.factories import AgentFactory, CustomerFactory
from tickets.models import Queue, SLAPolicy


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue
        django_get_or_create = ["slug"]
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Queue {n}")
    slug = factory.Sequence(lambda n: f"queue-{n}")

    @factory.post_generation
    def agents(self, create, extracted, **kwargs):
        if create and extracted:
            self.agents.add(*extracted)


def sla_policies() -> None:
    """Targets used across the tests: normal = 60 min first reply, 480 min resolution."""
    for priority, first, resolve in [("low", 240, 2880), ("normal", 60, 480), ("high", 30, 240), ("urgent", 15, 60)]:
        SLAPolicy.objects.update_or_create(
            priority=priority, defaults={"first_response_minutes": first, "resolution_minutes": resolve}
        )


__all__ = ["AgentFactory", "CustomerFactory", "QueueFactory", "sla_policies"]
