import pytest

from accounts.tests.factories import AgentFactory

from .factories import QueueFactory, sla_policies


@pytest.fixture
def sla(db):
    sla_policies()


@pytest.fixture
def queue(db, agent, sla):
    return QueueFactory(name="Orders & delivery", slug="orders", agents=[agent])


@pytest.fixture
def other_queue(db, sla):
    return QueueFactory(name="Returns", slug="returns", agents=[AgentFactory()])


@pytest.fixture
def ticket(queue, customer, django_capture_on_commit_callbacks):
    from tickets import services

    with django_capture_on_commit_callbacks(execute=True):
        return services.ticket_create(
            requester=customer, queue=queue, subject="Where is my parcel?", description="It has been a week."
        )
