from django.urls import path
from rest_framework.routers import SimpleRouter

from .desk_views import DeskReportView, TicketPresenceView
from .views import QueueViewSet, TicketViewSet

router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="ticket")
router.register("queues", QueueViewSet, basename="queue")
urlpatterns = [
    *router.urls,
    path("tickets/<int:pk>/presence/", TicketPresenceView.as_view(), name="ticket-presence"),
    path("desk/reports/", DeskReportView.as_view(), name="desk-report"),
]
