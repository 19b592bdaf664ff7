from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("products", views.ProductViewSet, basename="product")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("stock-levels", views.StockLevelViewSet, basename="stock-level")
router.register("stock-movements", views.StockMovementViewSet, basename="stock-movement")
router.register("stock-alerts", views.StockAlertViewSet, basename="stock-alert")
router.register("purchase-orders", views.PurchaseOrderViewSet, basename="purchase-order")
router.register("orders", views.OrderViewSet, basename="order")
router.register("quotes", views.QuoteViewSet, basename="quote")
router.register("guest-orders", views.GuestOrderViewSet, basename="guest-order")
router.register("addresses", views.AddressViewSet, basename="address")
router.register("returns", views.ReturnViewSet, basename="return")
router.register("store-products", views.StoreProductViewSet, basename="store-product")
router.register("suppliers", views.SupplierViewSet, basename="supplier")
router.register("forecasts", views.DemandForecastViewSet, basename="forecast")
router.register("reorder-suggestions", views.ReorderSuggestionViewSet, basename="reorder-suggestion")

urlpatterns = router.urls
