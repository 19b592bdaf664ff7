import pytest

from chatbot.engine import load_product_names
from chatbot.engine.entities import ProductMatcher, extract_order_numbers, extract_ticket_refs
from chatbot.engine.types import ProductMatch

PRODUCTS = ["Electric Hedge Trimmer", "Pressure Washer 130 bar", "Cordless Lawn Mower 40V", "Petrol Lawn Mower 46 cm"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("where is my order 10452", ("10452",)),
        ("Whats the status of order #20931", ("20931",)),
        ("has my order shipped yet? its ORD-33120", ("33120",)),
        ("check order nr 80234 pls", ("80234",)),
        ("is 26633 delivered?", ("26633",)),
        ("orders 11111 and 22222 are late", ("11111", "22222")),
        ("I bought 3 pots for 25.50 euros", ()),
        ("where is my order 123", ("123",)),  # a short number after "my order" (issue 21)
        ("order no 7 please", ("7",)),
        ("can I order 3 chairs", ()),  # "order" as a verb: no number
        ("my order 2 items were missing", ()),
        ("what's the status of TCK-00042", ()),
    ],
)
def test_order_numbers_are_found_in_the_usual_spellings(text, expected):
    assert extract_order_numbers(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what's the status of TCK-00042", ("TCK-00042",)),
        ("check ticket TCK00056", ("TCK-00056",)),
        ("any progress on tck 77", ("TCK-00077",)),
        ("update on ticket 00088", ("TCK-00088",)),
        ("tck-00211 status and TCK-00211 again", ("TCK-00211",)),
        ("where is my order 10452", ()),
    ],
)
def test_ticket_references_are_normalised(text, expected):
    assert extract_ticket_refs(text) == expected


def test_product_names_match_despite_typos():
    matcher = ProductMatcher(PRODUCTS)

    assert matcher.match("is the hedge trimer available?")[0].name == "Electric Hedge Trimmer"
    assert matcher.match("is the presure washer back yet")[0].name == "Pressure Washer 130 bar"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("do you sell garden hoses", "Garden Hose 25 m"),  # plural of a short word
        ("one garden glove is torn", "Garden Gloves"),  # singular
        ("is the garden chiar waterproof", "Rattan Garden Chair"),  # two letters swapped
        ("how much is the barbeque kettle", "Charcoal Barbecue Kettle 57 cm"),
        ("is the pressure wahser in stock", "Pressure Washer 130 bar"),
        ("the leaves are everywhere, which blower", "Leaf Blower"),  # f to ves
        ("is the lawn mowr in stock", "Cordless Lawn Mower 40V"),  # a made-up word, four letters
        ("how much is the desk lammp", "LED Desk Lamp"),
        ("garden hoze", "Garden Hose 25 m"),
    ],
)
def test_product_names_match_plurals_and_typos(text, expected):
    matcher = ProductMatcher(load_product_names())

    assert matcher.match(text)[0].name == expected


@pytest.mark.parametrize(
    "text",
    [
        "I want to sell my house",  # "house" counts 0.8 of "hose": not enough of "Garden Hose 25 m"
        "the electrician charged me twice",  # not the Electric Kettle
        "how do I change my electricity provider",
        "it was a pleasure",  # two letters from "pressure": too many for an eight-letter word
    ],
)
def test_short_or_different_words_are_not_taken_for_a_product(text):
    # Real words one edit from a product word ("house", "team") do match a name: whether a
    # message is about a product at all is the intent model's call (test_engine.py).
    assert ProductMatcher(load_product_names()).match(text) == ()


def test_plural_endings_do_not_make_other_words_the_same():
    matcher = ProductMatcher(["Tap Connector", "Pan Set", "Tub Trug", "Kitchen Shelf"])

    assert matcher.match("I need new tapes and notes") == ()  # not "tap" + es


def test_a_typo_of_the_distinctive_word_names_the_product_and_a_stop_word_alone_does_not():
    matcher = ProductMatcher(["Watering Can 10 L", "Pressure Washer 130 bar"])

    assert matcher.match("is the watring can in stock")[0].name == "Watering Can 10 L"
    assert matcher.match("can you book me a table") == ()  # "can" is an English stop word


def test_a_distinctive_word_picks_one_product_and_a_shared_word_ranks_both():
    matcher = ProductMatcher(PRODUCTS)

    assert [m.name for m in matcher.match("do you have the cordless mower")][:1] == ["Cordless Lawn Mower 40V"]
    names = {m.name for m in matcher.match("how much is a lawn mower")}
    assert names == {"Cordless Lawn Mower 40V", "Petrol Lawn Mower 46 cm"}


def test_unrelated_text_matches_no_product():
    matcher = ProductMatcher(PRODUCTS)

    assert matcher.match("what's the weather like tomorrow") == ()
    assert ProductMatcher([]).match("hedge trimmer") == ()


def test_a_verb_that_is_also_a_product_word_names_no_product():
    matcher = ProductMatcher(["Watering Can 10 L", "Steel Bin"])

    assert matcher.match("can you book me a table for two") == ()  # not the watering can
    assert matcher.match("can I pay by card, will it come by friday?") == ()
    assert [m.name for m in matcher.match("is the watering can in stock?")] == ["Watering Can 10 L"]
    # ... and it still tells names apart that differ only by such a word.
    hoses = ProductMatcher(["Watering Can", "Watering Hose", "Garden Hose"])
    assert hoses.match("is the watering hose in stock?")[0] == ProductMatch("Watering Hose", 1.0)


def test_names_that_match_the_same_words_of_the_message_carry_the_same_weight():
    matcher = ProductMatcher(["Classic Camping Chair", "Compact Camping Chair", "Compact Kettle"])

    first, second = matcher.match("how much is the camping chair?")

    assert first.score != second.score  # "compact" is more common than "classic"
    assert first.matched == second.matched > 0
