"""Storefront pages. Each view parses input, checks who asks, calls one service, renders."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.forms import SignUpForm

from . import selectors, services, storefront_cache
from .cart import Cart, CartError
from .forms import (
    AddressForm,
    AddToCartForm,
    CartUpdateForm,
    CheckoutForm,
    DiscountCodeForm,
    NotifyMeForm,
    ReturnRequestForm,
    ReviewForm,
)
from .invoice_pdf import invoice_pdf
from .models import Category, CategoryFollow

PAGE_SIZE = 24


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _home_data() -> dict:
    return {
        "new_arrivals": selectors.new_arrivals(),
        "deals": selectors.deals(),
        "categories": list(Category.objects.all()),
    }


def home(request):
    return storefront_cache.home_page_response(
        request,
        lambda extra: render(request, "storefront/home.html", {**storefront_cache.home_page(_home_data), **extra}),
    )


@dataclass(frozen=True)
class CatalogueListing:
    """What one catalogue page lists: cached as a whole (see ``storefront_cache``)."""

    categories: list[Category]
    category: Category | None
    unknown_category: bool
    count: int
    number: int
    num_pages: int
    products: list

    @property
    def previous_number(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next_number(self) -> int | None:
        return self.number + 1 if self.number < self.num_pages else None


def _catalogue_listing(*, slug: str, query: str, sort: str, page: str) -> CatalogueListing:
    categories = list(Category.objects.all())
    category = next((c for c in categories if c.slug == slug), None) if slug else None
    products = selectors.product_list_for_storefront(category=category, query=query, sort=sort)
    current = Paginator(products, PAGE_SIZE).get_page(page)
    return CatalogueListing(
        categories=categories,
        category=category,
        unknown_category=bool(slug) and category is None,
        count=current.paginator.count,
        number=current.number,
        num_pages=current.paginator.num_pages,
        products=list(current.object_list),
    )


def catalogue(request):
    slug = request.GET.get("category", "")[:100]
    sort = request.GET.get("sort", "name")
    if sort not in selectors.SORTS:
        sort = "name"
    query = request.GET.get("q", "")[:100]
    page = request.GET.get("page", "1")[:12]
    params = {"category": slug, "q": query.strip(), "sort": sort, "page": page}

    def render_page(extra: dict):
        listing = storefront_cache.catalogue_listing(
            params, lambda: _catalogue_listing(slug=slug, query=query, sort=sort, page=page)
        )
        if listing.unknown_category:
            messages.error(request, "Unknown category; showing all products.")
        category = listing.category
        following = False
        if category is not None and request.user.is_authenticated:
            following = CategoryFollow.objects.filter(user=request.user, category=category).exists()
        # Page links keep the filters, not whatever else the URL carried.
        querystring = urlencode({k: v for k, v in (("q", query), ("category", slug), ("sort", sort)) if v})
        return render(
            request,
            "storefront/catalogue.html",
            {
                "listing": listing,
                "categories": listing.categories,
                "category": category,
                "sort": sort,
                "sorts": [
                    ("name", "Name"),
                    ("price", "Price: low to high"),
                    ("-price", "Price: high to low"),
                    ("newest", "Newest"),
                ],
                "query": query,
                "following": following,
                "querystring": querystring,
                **extra,
            },
        )

    # Every anonymous visitor with these filters sees the same page (an unknown category's
    # message included: it is added and shown within the same render).
    return storefront_cache.catalogue_page(request, params, render_page)


@dataclass(frozen=True)
class ProductPage:
    """The shared part of a product page (cached per product version): no user, no forms."""

    product: object
    status_label: str
    status_level: str
    estimate: selectors.DeliveryEstimate
    reviews: list


def _product_page(pk: int) -> ProductPage:
    product = selectors.product_for_storefront(pk=pk)
    status_label, status_level = selectors.stock_status(product)
    return ProductPage(
        product=product,
        status_label=status_label,
        status_level=status_level,
        estimate=selectors.delivery_estimate(product=product),
        reviews=selectors.review_list_for_product(product=product),
    )


def product_detail(request, pk: int, slug: str):
    def render_page(extra: dict):
        shared = storefront_cache.product_page(pk, lambda: _product_page(pk))
        product = shared.product
        if product.slug != slug:
            return redirect(product, permanent=True)
        can_review = False
        if request.user.is_authenticated:
            can_review = (
                services.customer_received_product(customer=request.user, product=product)
                and not product.reviews.filter(customer=request.user).exists()
            )
        return render(
            request,
            "storefront/product.html",
            {
                "product": product,
                "status_label": shared.status_label,
                "status_level": shared.status_level,
                "estimate": shared.estimate,
                "reviews": shared.reviews,
                "cart_form": AddToCartForm(initial={"product": product.pk, "quantity": 1}),
                "notify_form": NotifyMeForm(initial={"email": getattr(request.user, "email", "")}),
                "review_form": ReviewForm() if can_review else None,
                **extra,
            },
        )

    return storefront_cache.product_page_response(request, pk, slug, render_page)


# --- Cart and checkout --------------------------------------------------------------


def _cart_buyer(request) -> services.Buyer | None:
    """Whose per-customer discount limit the cart checks: the customer's; a guest's at checkout."""
    return services.Buyer.of(customer=request.user) if request.user.is_authenticated else None


def cart_view(request):
    cart = Cart(request.session)
    lines = cart.lines()
    code, code_error = cart.discount(lines, buyer=_cart_buyer(request))
    quotes = cart.quotes(lines, code=code)
    rows = list(zip(lines, quotes["delivery"].lines, strict=True)) if lines else []
    return render(
        request,
        "storefront/cart.html",
        {
            "lines": lines,
            "rows": rows,
            "total": Cart.total(lines),
            "quotes": quotes,
            "discount_form": DiscountCodeForm(initial={"code": cart.discount_code}),
            "discount_code": code,
            "discount_error": code_error,
        },
    )


@require_POST
def cart_discount(request):
    """Remember (or, empty or with "remove", forget) the discount code the cart page shows."""
    form = DiscountCodeForm(request.POST)
    cart = Cart(request.session)
    if "remove" in request.POST or not form.is_valid():
        cart.set_discount_code("")
    else:
        cart.set_discount_code(form.cleaned_data["code"])
    return redirect("storefront:cart")


@require_POST
def cart_add(request):
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Choose a quantity between 1 and {services.MAX_LINE_QUANTITY}.")
        return redirect("storefront:cart")
    product = selectors.product_list_for_storefront().filter(pk=form.cleaned_data["product"]).first()
    if product is None:
        messages.error(request, "That product is not available.")
        return redirect("storefront:catalogue")
    try:
        Cart(request.session).add(product=product, quantity=form.cleaned_data["quantity"])
    except CartError as exc:
        messages.error(request, str(exc))
        return redirect(product)
    messages.success(request, f"Added {form.cleaned_data['quantity']} x {product.name} to your cart.")
    return redirect("storefront:cart")


@require_POST
def cart_update(request):
    form = CartUpdateForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Choose a quantity between 0 and {services.MAX_LINE_QUANTITY}.")
        return redirect("storefront:cart")
    try:
        Cart(request.session).set(product_id=form.cleaned_data["product"], quantity=form.cleaned_data["quantity"])
    except CartError as exc:
        messages.error(request, str(exc))
    return redirect("storefront:cart")


def _checkout_delivery(data: dict) -> services.DeliveryDetails:
    """The delivery the checkout form asked for: a copy of a saved address, or the typed one."""
    if data.get("saved_address") is not None:
        return services.address_delivery(data["saved_address"])
    return services.DeliveryDetails(
        name=data["delivery_name"],
        address=data["delivery_address"],
        postcode=data["delivery_postcode"],
        city=data["delivery_city"],
        phone=data["delivery_phone"],
    )


def checkout(request):
    """Checkout for a logged-in customer or, with an email address, a guest."""
    cart = Cart(request.session)
    lines = cart.lines()
    if not lines:
        messages.info(request, "Your cart is empty.")
        return redirect("storefront:cart")
    user = request.user if request.user.is_authenticated else None
    initial = {"discount_code": cart.discount_code}
    if user is not None:
        default = selectors.address_list_for_customer(user=user).filter(is_default=True).first()
        initial.update(delivery_name=user.name, delivery_phone=user.phone, saved_address=default)
    form = CheckoutForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        delivery = _checkout_delivery(data)
        try:
            order = services.order_place(
                customer=user,
                guest_email=data.get("email", ""),
                items=cart.order_items(lines),
                delivery=delivery,
                payment_method=data["payment_method"],
                discount_code=data["discount_code"],
            )
        except services.DiscountError as exc:
            form.add_error("discount_code", _error_text(exc))
        except services.OrderError as exc:
            if any(line.price_changed for line in lines):
                cart.refresh_prices(lines)
            form.add_error(None, _error_text(exc))
        else:
            cart.clear()
            messages.success(request, f"Thank you! Order {order.number} is placed; a confirmation email is on its way.")
            if data.get("save_address") and data.get("saved_address") is None:
                _save_checkout_address(request, delivery)
            # A guest's page is the signed link of the confirmation email (the path says it all).
            return redirect(services.order_page_path(order))
    code, _ = cart.discount(lines, buyer=_cart_buyer(request))
    return render(
        request,
        "storefront/checkout.html",
        {
            "form": form,
            "lines": lines,
            "total": Cart.total(lines),
            "quotes": cart.quotes(lines, code=code),
            "discount_code": code,
        },
    )


def _save_checkout_address(request, delivery: services.DeliveryDetails) -> None:
    """Save the address typed at checkout, after the order is placed (the order has its own copy,
    so a refused save, e.g. past the limit, only costs the customer the saving, told as a message)."""
    try:
        services.address_create(
            customer=request.user,
            data=services.AddressInput(
                name=delivery.name,
                address=delivery.address,
                postcode=delivery.postcode,
                city=delivery.city,
                phone=delivery.phone,
            ),
        )
    except services.AddressError as exc:
        messages.warning(request, f"The address was not saved: {_error_text(exc)}")


# --- Saved addresses ----------------------------------------------------------------


def _address_input(data: dict) -> services.AddressInput:
    return services.AddressInput(
        label=data["label"],
        name=data["name"],
        address=data["address"],
        postcode=data["postcode"],
        city=data["city"],
        phone=data["phone"],
    )


@login_required
def address_list(request):
    """The customer's saved addresses, with the form to add one."""
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.address_create(
                customer=request.user,
                data=_address_input(form.cleaned_data),
                make_default=form.cleaned_data["make_default"],
            )
        except services.AddressError as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, "Address saved.")
            return redirect("storefront:address_list")
    addresses = list(selectors.address_list_for_customer(user=request.user))
    return render(request, "storefront/address_list.html", {"addresses": addresses, "form": form})


@login_required
def address_edit(request, pk: int):
    address = selectors.address_for_customer(user=request.user, pk=pk)
    form = AddressForm(request.POST or None, instance=address)
    if request.method == "POST" and form.is_valid():
        make_default = form.cleaned_data.get("make_default")
        # The form worked on a copy of the row: the service re-reads and saves it.
        address = selectors.address_for_customer(user=request.user, pk=pk)
        try:
            services.address_update(address=address, data=_address_input(form.cleaned_data))
        except services.AddressError as exc:
            form.add_error(None, _error_text(exc))
        else:
            if make_default:
                services.address_set_default(address=address)
            messages.success(request, "Address updated. Orders already placed keep the address they were sent to.")
            return redirect("storefront:address_list")
    return render(request, "storefront/address_form.html", {"form": form, "address": address})


@login_required
@require_POST
def address_delete(request, pk: int):
    address = selectors.address_for_customer(user=request.user, pk=pk)
    services.address_delete(address=address)
    messages.success(request, "Address deleted.")
    return redirect("storefront:address_list")


@login_required
@require_POST
def address_make_default(request, pk: int):
    address = selectors.address_for_customer(user=request.user, pk=pk)
    services.address_set_default(address=address)
    messages.success(request, "Default address changed.")
    return redirect("storefront:address_list")


# --- Orders and returns -------------------------------------------------------------


@login_required
def order_list(request):
    page = Paginator(selectors.order_list_for_customer(user=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "storefront/order_list.html", {"page": page})


@login_required
def order_detail(request, pk: int):
    order = selectors.order_for_customer(user=request.user, pk=pk)
    lines = list(order.lines.all())
    returnable = {line.pk: services.returnable_quantity(line=line) for line in lines}
    return render(
        request,
        "storefront/order_detail.html",
        {
            "order": order,
            "lines": [(line, returnable[line.pk]) for line in lines],
            "can_cancel": order.status == order.Status.PLACED and all(ln.status == ln.Status.PENDING for ln in lines),
        },
    )


def _guest_order_page(request, order, token: str, signup_form=None):
    lines = list(order.lines.all())
    return render(
        request,
        "storefront/order_detail.html",
        {
            "order": order,
            "lines": [(line, 0) for line in lines],
            "can_cancel": order.status == order.Status.PLACED and all(ln.status == ln.Status.PENDING for ln in lines),
            "guest_token": token,
            "signup_form": signup_form or (None if request.user.is_authenticated else _claim_signup_form(order)),
        },
    )


def _claim_signup_form(order, data=None) -> SignUpForm:
    form = SignUpForm(data, initial={"email": order.guest_email, "name": order.delivery_name})
    form.helper.form_tag = False
    return form


def _claimed_elsewhere(request, order):
    """A guest link to an order since claimed: only its account's login shows it."""
    if request.user.is_authenticated and order.customer_id == request.user.pk:
        return redirect("storefront:order_detail", pk=order.pk)
    messages.info(request, "This order is now kept in an account: log in to see it.")
    return redirect_to_login(reverse("storefront:order_detail", args=[order.pk]))


def guest_order(request, token: str):
    """A guest's order, reached only by the signed link of its confirmation email."""
    order = services.guest_order_for_token(token)
    if not order.is_guest:
        return _claimed_elsewhere(request, order)
    return _guest_order_page(request, order, token)


@require_POST
def guest_order_claim(request, token: str):
    """Keep a guest order in an account: the logged-in one, or one created here and now.

    Only through the signed link: an account with the same email gets nothing by itself.
    """
    order = services.guest_order_for_token(token)
    if not order.is_guest:
        return _claimed_elsewhere(request, order)
    if not request.user.is_authenticated:
        form = _claim_signup_form(order, request.POST)
        if not form.is_valid():
            return _guest_order_page(request, order, token, signup_form=form)
        try:
            user, _ = services.order_claim_into_new_account(
                token=token,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                name=form.cleaned_data["name"],
            )
        except services.OrderError as exc:
            messages.error(request, _error_text(exc))
            return redirect("storefront:guest_order", token=token)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome! Order {order.number} is now in your account.")
        return redirect("storefront:order_detail", pk=order.pk)
    try:
        services.order_claim(token=token, user=request.user)
    except services.OrderError as exc:
        messages.error(request, _error_text(exc))
        return redirect("storefront:guest_order", token=token)
    messages.success(request, f"Order {order.number} is now in your account.")
    return redirect("storefront:order_detail", pk=order.pk)


@require_POST
def guest_order_cancel(request, token: str):
    order = services.guest_order_for_token(token)
    if not order.is_guest:
        return _claimed_elsewhere(request, order)
    try:
        services.order_cancel(order=order, actor=None)
    except services.OrderError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, f"Order {order.number} is cancelled.")
    return redirect("storefront:guest_order", token=token)


@login_required
def invoice_detail(request, pk: int, pdf: bool = False):
    """The invoice of the customer's own order (issued on first view); anybody else's id: 404."""
    order = selectors.order_for_customer(user=request.user, pk=pk)
    try:
        invoice = services.invoice_issue(order=order)
    except services.OrderError as exc:
        raise Http404(_error_text(exc)) from None
    document = services.invoice_document(invoice=invoice)
    if pdf:
        response = HttpResponse(invoice_pdf(document), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="invoice-{invoice.number}.pdf"'
        return response
    return render(request, "storefront/invoice.html", {"doc": document, "invoice": invoice, "order": order})


@login_required
@require_POST
def order_cancel(request, pk: int):
    order = selectors.order_for_customer(user=request.user, pk=pk)
    try:
        services.order_cancel(order=order, actor=request.user)
    except services.OrderError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, f"Order {order.number} is cancelled.")
    return redirect("storefront:order_detail", pk=order.pk)


@login_required
def return_create(request, line_pk: int):
    line = selectors.order_line_for_customer(user=request.user, pk=line_pk)
    available = services.returnable_quantity(line=line)
    if available <= 0:
        messages.error(request, "Nothing on this line can be returned.")
        return redirect("storefront:order_detail", pk=line.order_id)
    form = ReturnRequestForm(request.POST or None, max_quantity=available, initial={"quantity": 1})
    if request.method == "POST" and form.is_valid():
        try:
            services.return_request_create(
                customer=request.user,
                line=line,
                quantity=form.cleaned_data["quantity"],
                reason=form.cleaned_data["reason"],
            )
        except services.OrderError as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, "Return requested. The shop will answer by email.")
            return redirect("storefront:return_list")
    return render(request, "storefront/return_form.html", {"form": form, "line": line, "available": available})


@login_required
def return_list(request):
    returns = selectors.return_list_for_customer(user=request.user)
    return render(request, "storefront/return_list.html", {"returns": returns})


# --- Subscriptions and reviews ------------------------------------------------------


@require_POST
def notify_me(request, pk: int):
    product = selectors.product_for_storefront(pk=pk)
    form = NotifyMeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a valid email address.")
        return redirect(product)
    user = request.user if request.user.is_authenticated else None
    subscription = services.back_in_stock_subscribe(product=product, email=form.cleaned_data["email"], user=user)
    if subscription.confirmed_at:
        messages.success(request, "We will email you once when it is back in stock.")
    else:
        messages.success(request, "Check your inbox: confirm the address and we will email you when it is back.")
    return redirect(product)


def notify_confirm(request, token: str):
    try:
        subscription = services.back_in_stock_confirm(token=token)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("storefront:catalogue")
    messages.success(request, "Address confirmed: we will email you once when it is back in stock.")
    return redirect(subscription.product)


@login_required
@require_POST
def category_follow_toggle(request, slug: str):
    category = get_object_or_404(Category, slug=slug)
    if CategoryFollow.objects.filter(user=request.user, category=category).exists():
        services.category_unfollow(user=request.user, category=category)
        messages.success(request, f"You no longer follow {category.name}.")
    else:
        services.category_follow(user=request.user, category=category)
        messages.success(request, f"You will get one email for each new product in {category.name}.")
    return redirect(f"{reverse('storefront:catalogue')}?category={category.slug}")


@login_required
@require_POST
def review_create(request, pk: int):
    product = selectors.product_for_storefront(pk=pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Rate the product from 1 to 5.")
        return redirect(product)
    try:
        services.review_create(
            customer=request.user,
            product=product,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, "Thank you for your review.")
    return redirect(product)
