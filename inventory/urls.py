from django.urls import path

from . import views

app_name = "storefront"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    # Action routes first: "notify" and "review" would otherwise match as a product slug.
    path("product/<int:pk>/notify/", views.notify_me, name="notify_me"),
    path("product/<int:pk>/review/", views.review_create, name="review_create"),
    path("product/<int:pk>/<slug:slug>/", views.product_detail, name="product"),
    path("notify/confirm/<str:token>/", views.notify_confirm, name="notify_confirm"),
    path("category/<slug:slug>/follow/", views.category_follow_toggle, name="category_follow"),
    path("cart/", views.cart_view, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/update/", views.cart_update, name="cart_update"),
    path("cart/discount/", views.cart_discount, name="cart_discount"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/guest/<str:token>/", views.guest_order, name="guest_order"),
    path("orders/guest/<str:token>/claim/", views.guest_order_claim, name="guest_order_claim"),
    path("orders/guest/<str:token>/cancel/", views.guest_order_cancel, name="guest_order_cancel"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<int:pk>/invoice/", views.invoice_detail, name="invoice"),
    path("orders/<int:pk>/invoice.pdf", views.invoice_detail, {"pdf": True}, name="invoice_pdf"),
    path("addresses/", views.address_list, name="address_list"),
    path("addresses/<int:pk>/edit/", views.address_edit, name="address_edit"),
    path("addresses/<int:pk>/delete/", views.address_delete, name="address_delete"),
    path("addresses/<int:pk>/default/", views.address_make_default, name="address_default"),
    path("returns/", views.return_list, name="return_list"),
    path("returns/new/<int:line_pk>/", views.return_create, name="return_create"),
]
