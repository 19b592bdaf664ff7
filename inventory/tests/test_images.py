"""Product images: upload checks (admin and API), store scoping, pictures on the pages, query counts."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from inventory import services
from inventory.models import ProductImage
from inventory.tests.factories import CategoryFactory, ProductFactory
from inventory.tests.test_api import api

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def png(size=(64, 48), colour="#1d4e89", name="photo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def not_an_image() -> SimpleUploadedFile:
    return SimpleUploadedFile("photo.png", b"%PDF-1.4 definitely not a picture", content_type="image/png")


def _admin_post_data(client, product, upload, alt_text="A blue mug"):
    url = reverse("admin:inventory_product_change", args=[product.pk])
    data = {k: v for k, v in client.get(url).context["adminform"].form.initial.items() if v is not None}
    data.update(category=product.category_id, store=product.store_id, launch_date=str(product.launch_date))
    data.update(
        {
            "images-TOTAL_FORMS": "1",
            "images-INITIAL_FORMS": "0",
            "images-MIN_NUM_FORMS": "0",
            "images-MAX_NUM_FORMS": "1000",
            "images-0-image": upload,
            "images-0-alt_text": alt_text,
            "images-0-position": "0",
        }
    )
    return url, data


def test_admin_inline_stores_a_valid_image_with_its_size(client, retailer, store):
    client.force_login(retailer)
    product = ProductFactory(store=store)
    url, data = _admin_post_data(client, product, png((640, 480)))

    assert client.post(url, data).status_code == 302

    image = ProductImage.objects.get(product=product)
    assert (image.width, image.height, image.alt_text) == (640, 480, "A blue mug")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        # The admin's ImageField answers first, with Django's own sentence.
        (not_an_image(), "Upload a valid image. The file you uploaded was either not an image or a corrupted image."),
        (png((6000, 5000)), "the limit is 25,000,000 pixels"),
    ],
)
def test_admin_inline_refuses_what_is_not_a_usable_image(client, retailer, store, upload, message):
    client.force_login(retailer)
    product = ProductFactory(store=store)
    url, data = _admin_post_data(client, product, upload)

    response = client.post(url, data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ProductImage.objects.exists()


def test_admin_inline_refuses_a_file_over_the_size_limit(client, retailer, store, settings):
    settings.PRODUCT_IMAGE_MAX_BYTES = 1000
    client.force_login(retailer)
    product = ProductFactory(store=store)
    url, data = _admin_post_data(client, product, png((400, 300), colour="#123456"))
    data["images-0-image"] = SimpleUploadedFile("big.png", data["images-0-image"].read() + b"\0" * 2000)

    response = client.post(url, data)

    assert "; the limit is 1000\xa0bytes." in response.content.decode()
    assert not ProductImage.objects.exists()


def test_admin_another_stores_product_answers_404(client, retailer, other_store):
    client.force_login(retailer)
    theirs = ProductFactory(store=other_store)

    response = client.get(reverse("admin:inventory_product_change", args=[theirs.pk]))

    assert response.status_code == 404


def test_api_upload_by_store_staff(retailer, store):
    product = ProductFactory(store=store)

    response = api(retailer).post(
        f"/api/v1/store-products/{product.pk}/images/",
        {"image": png((300, 200)), "alt_text": "Front view"},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    image = ProductImage.objects.get(product=product)
    assert response.json() == {
        "id": image.pk,
        "url": f"http://testserver{image.image.url}",
        "alt_text": "Front view",
        "width": 300,
        "height": 200,
        "position": 0,
    }
    # The public product API lists it too.
    listed = api().get(f"/api/v1/products/{product.pk}/").json()["images"]
    assert [entry["id"] for entry in listed] == [image.pk]


def test_api_upload_of_a_non_image_is_400_with_detail_and_stores_nothing(retailer, store):
    product = ProductFactory(store=store)

    response = api(retailer).post(
        f"/api/v1/store-products/{product.pk}/images/",
        {"image": not_an_image(), "alt_text": "Front view"},
        format="multipart",
    )

    assert response.status_code == 400
    assert "not an image" in response.json()["detail"]
    assert not ProductImage.objects.exists()


def test_api_upload_to_another_stores_product_is_404(retailer, other_store, customer):
    theirs = ProductFactory(store=other_store)
    url = f"/api/v1/store-products/{theirs.pk}/images/"

    assert api(retailer).post(url, {"image": png(), "alt_text": "x"}, format="multipart").status_code == 404
    assert api(customer).post(url, {"image": png(), "alt_text": "x"}, format="multipart").status_code == 403
    assert not ProductImage.objects.exists()


def test_service_requires_alt_text(store):
    product = ProductFactory(store=store)

    with pytest.raises(Exception, match="Describe the picture"):
        services.product_image_add(product=product, file=png(), alt_text="  ")

    assert not ProductImage.objects.exists()


def test_catalogue_and_product_page_show_responsive_lazy_pictures(client, store):
    product = ProductFactory(store=store, name="Blue mug")
    services.product_image_add(product=product, file=png((800, 600)), alt_text="A blue mug on a table")
    services.product_image_add(product=product, file=png((800, 600), colour="#aa0000"), alt_text="The mug from above")

    page = client.get(reverse("storefront:catalogue")).content.decode()

    assert 'alt="A blue mug on a table"' in page
    assert 'srcset="' in page
    assert 'sizes="(min-width: 992px) 25vw' in page
    assert " 320w, " in page
    assert " 640w" in page
    assert 'width="320" height="240"' in page
    assert 'loading="lazy"' in page
    assert "The mug from above" not in page  # the card shows the first picture only

    detail = client.get(product.get_absolute_url()).content.decode()
    assert 'width="480" height="360" alt="A blue mug on a table"' in detail
    assert " 1200w" in detail
    assert 'alt="The mug from above"' in detail


def _catalogue_queries(client, django_capture_on_commit_callbacks) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inventory import storefront_cache

    client.get(reverse("storefront:catalogue"))  # makes the thumbnails
    storefront_cache.catalogue_changed()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("storefront:catalogue")).status_code == 200
    return len(queries)


def test_catalogue_queries_do_not_grow_with_pictured_products(client, store, django_capture_on_commit_callbacks):
    def add(n):
        for i in range(n):
            product = ProductFactory(store=store, category=CategoryFactory())
            services.product_image_add(product=product, file=png(colour=f"#{i:02x}3366"), alt_text=f"Picture {i}")

    add(3)
    few = _catalogue_queries(client, django_capture_on_commit_callbacks)
    add(9)
    many = _catalogue_queries(client, django_capture_on_commit_callbacks)

    assert few == many
    assert many <= 5
