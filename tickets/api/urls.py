from rest_framework.routers import SimpleRouter

from .views import QueueViewSet, TicketViewSet

router = SimpleRouter()
router.register("tickets", TicketViewSet, basename="ticket")
router.register("queues", QueueViewSet, basename="queue")
urlpatterns = router.urls
