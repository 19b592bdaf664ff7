import dataclasses

import pytest

from chatbot.engine import Article, ChatEngine, EngineConfig, Intent, load_articles, load_split
from chatbot.engine.words import MAX_TYPO_CHECKS, Vocabulary, content_words, stem, word_forms

SHOP = [
    "Returns and refunds: send the item back within 30 days and we refund the price to your card.",
    "We ship every order with a tracked courier; shipping is free from 50 euros.",
    "Batteries and shelves are delivered in separate parcels.",
    "Forgot your password? Use the reset link in the email we send you.",
]


def test_content_words_are_topic_words_without_stop_words_or_contractions():
    assert content_words("Where's my parcel? I DON'T have it, it's been 3 days!") == ["parcel", "days"]
    assert content_words("ok, is it there?") == []  # stop words and short words only
    assert content_words("Un café crème, Größe 42") == ["cafe", "creme", "große"]  # letters, no accents
    assert content_words("I haven't had it, I've waited, I don\u00b4t know, my child's toy, I won't") == [
        "waited",
        "know",
        "child",
        "toy",
    ]  # a contraction adds nothing: "haven't" is "have", a stop word like "I've" and "won't"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("shipped", "ship"),
        ("shipping", "ships"),
        ("damaged", "damage"),
        ("damages", "damaging"),
        ("refunded", "refund"),
        ("copied", "copy"),
        ("denies", "deny"),
    ],
)
def test_the_usual_forms_of_a_word_share_a_stem(first, second):
    assert stem(first) == stem(second)


def test_stems_keep_short_words_and_different_words_apart():
    assert stem("use") == "use"  # never fewer than three letters
    assert stem("hose") != stem("house")
    assert stem("deliver") != stem("driver")


def test_the_shops_own_words_are_known_in_any_regular_form_or_with_a_typo():
    vocabulary = Vocabulary(SHOP)

    assert vocabulary.unknown_words("a refund for the shelf") == []  # "shelves" in the text
    assert vocabulary.unknown_words("has my battery shipped") == []  # "batteries", "ship"
    assert vocabulary.unknown_words("how do I reset my pasword") == []  # one typo from "password"
    assert vocabulary.unknown_words("the courrier refunded my parcels") == []


def test_words_the_shop_never_uses_are_unknown_and_short_words_get_no_typo_allowance():
    vocabulary = Vocabulary(SHOP)

    assert vocabulary.unknown_words("my child's school hasn't replied to my email") == [
        "child",
        "school",
        "replied",
    ]  # "hasnt" is a stop word
    assert vocabulary.unknown_words("is the card in the house") == ["house"]  # not a typo of anything
    assert vocabulary.unknown_words("my house card") == ["house"]
    assert vocabulary.unknown_words("ship the parcel to my carr") == ["carr"]  # four letters: no typo allowance


def test_unknown_share_counts_each_content_word_once():
    vocabulary = Vocabulary(SHOP)

    assert vocabulary.unknown_share("school school parcel parcel") == pytest.approx(0.5)
    assert vocabulary.unknown_share("where is it?") == 0.0  # no content words: no evidence either way
    assert vocabulary.unknown_share("") == 0.0
    assert Vocabulary([]).unknown_share("parcel") == 1.0


def test_an_english_word_is_never_a_typo_and_long_words_may_have_two():
    vocabulary = Vocabulary(["Contact us", "the product description", "replacement parts", "delivered"])

    assert vocabulary.unknown_words("my phone contract") == ["phone", "contract"]  # a word, not "contact"
    assert vocabulary.unknown_words("my prescription") == ["prescription"]  # not "description"
    assert vocabulary.unknown_words("a replasemant part") == []  # two edits from ten letters
    assert vocabulary.unknown_words("delivarad") == ["delivarad"]  # but one below that


def test_accented_and_plain_spellings_are_the_same_word():
    assert Vocabulary(["Müller garden hose"]).unknown_words("muller hose") == []
    assert Vocabulary(["Muller garden hose"]).unknown_words("Müller hose") == []


def test_the_typo_check_is_bounded_for_any_input(monkeypatch):
    vocabulary = Vocabulary(SHOP)
    checked = []
    near = Vocabulary._near
    monkeypatch.setattr(Vocabulary, "_near", lambda self, word: checked.append(word) or near(self, word))
    text = " ".join(f"zq{n:05d}xw".translate(str.maketrans("0123456789", "abcdefghij")) for n in range(500))

    assert vocabulary.unknown_share(text) == 1.0
    assert len(checked) == MAX_TYPO_CHECKS


def test_a_second_vocabulary_adds_its_words():
    shop, products = Vocabulary(SHOP), Vocabulary(["Rattan Garden Chair", "Electric Hedge Trimmer"])

    assert shop.unknown_words("is the rattan chair waterproof") == ["rattan", "chair", "waterproof"]
    assert shop.unknown_words("is the rattan chair waterproof", also=products) == ["waterproof"]
    assert shop.unknown_words("hedge trimer warranty", also=products) == ["warranty"]  # a typo of a product word


def test_word_forms_cover_the_regular_plurals_both_ways():
    assert {"battery", "batteries"} <= word_forms("battery")
    assert "battery" in word_forms("batteries")
    assert "shelf" in word_forms("shelves")


# -- in the engine ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine():
    return ChatEngine(articles=load_articles(), training=load_split("tuning"), embedder=None)


def test_the_engine_measures_unknown_words_against_the_help_centre_and_the_products(engine):
    assert engine.analyse("the vet hasn't sent my dog's vaccination record").unknown >= 0.6
    assert engine.unknown_share("the vet hasn't sent my dog's vaccination record") == pytest.approx(
        engine.analyse("the vet hasn't sent my dog's vaccination record").unknown
    )
    assert engine.analyse("can I return a parcel that was delivered damaged").unknown == 0.0
    assert engine.analyse("is the kallax shelf insert in stock").unknown > 0

    engine.set_product_names(["Shelf insert for IKEA Kallax"])

    assert engine.analyse("is the kallax shelf insert in stock").unknown == 0.0


def test_a_rebuild_learns_the_words_of_a_new_articles_body():
    articles = load_articles()
    engine = ChatEngine(articles=articles, training=load_split("tuning"), embedder=None)
    assert engine.analyse("can you engrave a message on the watering can").unknown > 0
    engraving = Article(
        slug="personal-touches",
        title="Personal touches",
        body="We engrave a short message on watering cans and garden tools for €5.",
        category="Orders",
    )

    engine.rebuild_index([*articles, engraving])

    assert engine.analyse("can you engrave a message on the watering can").unknown == 0.0


def test_the_labelled_in_scope_messages_add_their_words_and_the_out_of_scope_ones_do_not():
    tuning = load_split("tuning")
    assert any("lottery" in m.text for m in tuning if m.intent == Intent.OUT_OF_SCOPE)
    paypal = [m for m in tuning if "paypal" in m.text.lower() and m.intent != Intent.OUT_OF_SCOPE]
    assert paypal
    assert not any("paypal" in a.body.lower() for a in load_articles())  # only there

    engine = ChatEngine(articles=load_articles(), training=tuning, embedder=None)
    without = ChatEngine(
        articles=load_articles(), training=[m for m in tuning if "paypal" not in m.text.lower()], embedder=None
    )

    assert engine.unknown_share("paypal") == 0.0
    assert without.unknown_share("paypal") == 1.0
    assert engine.unknown_share("lottery") == 1.0


def test_unknown_words_lower_the_score_by_their_share_times_the_weight(engine):
    analysis = engine.analyse("my dentist moved my appointment and my parcel is late")
    assert 0 < analysis.unknown < 1
    config = EngineConfig(answer_threshold=0.5, neighbour_weight=0.5, intent_weight=0.5, unknown_weight=0.75)
    without = dataclasses.replace(config, unknown_weight=0.0)

    assert analysis.answerability(config) == pytest.approx(analysis.answerability(without) - 0.75 * analysis.unknown)
    known = dataclasses.replace(analysis, unknown=0.0)
    assert known.answerability(config) == pytest.approx(known.answerability(without))
