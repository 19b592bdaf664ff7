"""Catalogue search forgives plurals and small typos, on the storefront and in the API."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from inventory import search
from inventory.models import Product

from .factories import CategoryFactory, ProductFactory


@pytest.fixture
def catalogue(store):
    lighting = CategoryFactory(name="Lighting", slug="lighting")
    return {
        "desk": ProductFactory(store=store, category=lighting, name="Desk lamp", description="Warm light."),
        "floor": ProductFactory(store=store, category=lighting, name="Floor lamp", description="Tall."),
        "battery": ProductFactory(store=store, name="AA battery", description="Pack of four."),
        "kettle": ProductFactory(store=store, name="Electric kettle", description="Boils fast.", sku="KT-100"),
    }


def _found(query: str) -> set[str]:
    from inventory.selectors import product_list_for_storefront

    return set(product_list_for_storefront(query=query).values_list("name", flat=True))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lamp", {"Desk lamp", "Floor lamp"}),
        ("lamps", {"Desk lamp", "Floor lamp"}),  # plural of a catalogue word
        ("lmap", {"Desk lamp", "Floor lamp"}),  # two letters swapped: one edit
        ("desk lmap", {"Desk lamp"}),  # every word must match
        ("batteries", {"AA battery"}),  # -ies plural, by stem
        ("kettel", {"Electric kettle"}),
        ("electrik kettles", {"Electric kettle"}),
        ("lam", {"Desk lamp", "Floor lamp"}),  # a prefix, as typed
        ("warm", {"Desk lamp"}),  # a word of the description
        ("kt-100", {"Electric kettle"}),  # the exact SKU
        ("teapot", set()),  # nothing close: no match, not everything
        ("lamp teapot", set()),
        ("zz", set()),
    ],
)
def test_storefront_search_matches_plurals_and_small_typos(catalogue, query, expected):
    assert _found(query) == expected


def test_short_words_are_not_corrected(catalogue):
    # Three letters or fewer must match as typed: "amp" is one edit from "lamp" but is its own word.
    assert search.word_forms("amp") == [{"amp"}]
    assert _found("amp") == {"Desk lamp", "Floor lamp"}  # as a substring of "lamp", as before


def test_inactive_products_do_not_feed_the_vocabulary(store):
    ProductFactory(store=store, name="Hidden gizmo", is_active=False)
    assert search.word_forms("gizmos") == [{"gizmos"}]


def test_catalogue_page_and_api_use_the_same_search(client, catalogue):
    page = client.get(reverse("storefront:catalogue"), {"q": "lmaps"})
    api = APIClient().get("/api/v1/products/", {"search": "lmaps"})

    assert {p.name for p in page.context["listing"].products} == {"Desk lamp", "Floor lamp"}
    assert {p["name"] for p in api.json()["results"]} == {"Desk lamp", "Floor lamp"}


def test_api_search_rejects_an_overlong_query(db):
    response = APIClient().get("/api/v1/products/", {"search": "x" * 101})

    assert response.status_code == 400
    assert "search" in response.json()["errors"]


@pytest.mark.django_db(transaction=True)
def test_vocabulary_is_built_once_per_catalogue_version(store, django_assert_num_queries):
    ProductFactory(store=store, name="Desk lamp")
    search.word_forms("lamps")  # builds and caches it

    with django_assert_num_queries(0):
        assert search.word_forms("lamps") == [{"lamps", "lamp"}]

    # A new product is a new catalogue version: its words are known at once.
    ProductFactory(store=store, name="Garden hose")
    with django_assert_num_queries(2):
        assert search.word_forms("hoses") == [{"hoses", "hose"}]
    assert Product.objects.count() == 2
