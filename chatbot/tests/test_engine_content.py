from pathlib import Path

import pytest

from chatbot.engine import Intent, load_articles, load_labelled, load_split
from chatbot.engine.content import ContentError, parse_article
from chatbot.engine.text import body_passage_pairs, first_paragraph, with_best_passage
from chatbot.rendering import first_paragraph_text, markdown_to_text

# The demo shop's held-out questions: measured by bench/chatbot_bench.py, never read at run time.
HELD_OUT = Path(__file__).resolve().parents[2] / "bench" / "chatbot_eval" / "demo_questions.tsv"


def test_help_centre_has_about_forty_articles_with_unique_slugs():
    articles = load_articles()

    assert len(articles) >= 40
    assert len({a.slug for a in articles}) == len(articles)
    assert all(a.title and a.body and a.category for a in articles)


def test_parse_article_reads_front_matter():
    article = parse_article(
        "---\nslug: gift-wrap\ntitle: Gift wrapping\ncategory: Orders\ntags: [gift]\n"
        "example_questions:\n  - can you wrap it?\n---\nWe wrap gifts for €3.\n"
    )

    assert (article.slug, article.title, article.tags, article.example_questions) == (
        "gift-wrap",
        "Gift wrapping",
        ("gift",),
        ("can you wrap it?",),
    )
    assert article.body == "We wrap gifts for €3."


@pytest.mark.parametrize(
    "text",
    ["no front matter", "---\nslug: x\ntitle: X\n", "---\ntitle: X\ncategory: Y\n---\nbody"],
)
def test_parse_article_rejects_broken_front_matter(text):
    with pytest.raises(ContentError):
        parse_article(text)


def test_labelled_set_is_large_varied_and_split():
    tuning, heldout = load_split("tuning"), load_labelled(HELD_OUT)
    everything = tuning + heldout

    assert len(everything) >= 400
    assert sum(m.intent == Intent.OUT_OF_SCOPE for m in everything) >= 100
    assert {m.intent for m in heldout} == set(Intent)
    assert not {m.text.lower() for m in tuning} & {m.text.lower() for m in heldout}


def test_heldout_part_measures_generalisation():
    articles = {a.slug: a for a in load_articles()}
    heldout = load_labelled(HELD_OUT)
    tuning_articles = {m.article for m in load_split("tuning") if m.article}
    without_examples = {a.slug for a in articles.values() if not a.example_questions}
    asked = {m.article for m in heldout if m.article}

    assert all(m.article in articles for m in heldout if m.intent == Intent.FAQ)
    assert len(without_examples & asked) >= 10
    assert not without_examples & tuning_articles
    for message in heldout:
        if message.article:
            article = articles[message.article]
            copied = message.text.lower() in article.body.lower() or message.text.lower() in (
                q.lower() for q in article.example_questions
            )
            assert not copied, message.text


@pytest.mark.parametrize(
    ("body", "gist"),
    [
        ("You can pay:\n\n- by card\n- in cash\n\nNo cheques.", "You can pay:\n\n- by card\n- in cash"),
        ("Do this:\n\n1. photos\n2. a ticket\n\nThen we refund.", "Do this:\n\n1. photos\n2. a ticket"),
        ("Free from €50.\n\n- a list after a full sentence\n\nMore.", "Free from €50."),
        ("Ends with a colon:\n\nbut no list follows.", "Ends with a colon:"),
        ("\n\n  Only one paragraph.  \n", "Only one paragraph."),
        ("Pay:\n\n- loose\n\n- list\n\nEnd.", "Pay:\n\n- loose\n\n- list"),  # blank lines between items
        ("**You can pay:**\n\n- card", "**You can pay:**\n\n- card"),  # the colon inside bold
        ("", ""),
    ],
)
def test_an_articles_gist_is_its_first_paragraph_with_the_list_it_introduces(body, gist):
    assert first_paragraph(body) == gist


def test_every_shipped_article_gist_says_something_after_a_colon():
    for article in load_articles():
        gist = first_paragraph(article.body)
        assert not gist.endswith(":"), article.slug  # "You can pay:" alone answered nothing


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("![logo](logo.png)\n\nYou can pay by card.", "You can pay by card."),  # nothing to read first
        ("<!-- note -->\n\n<div></div>\n\nHello.", "Hello."),
        (
            "Pay:\n\n- a [link\n  that wraps](https://example.com) here\n- <b>cash</b>",
            "Pay:\n- a link that wraps here\n- cash",
        ),
        ("Do this:\n\n1. photos\n2. a ticket", "Do this:\n1. photos\n2. a ticket"),
        (
            "1. Go to **My account**,\n   choose the order.\n2. Pack it.\n\nKeep the receipt.",
            "1. Go to My account, choose the order.\n2. Pack it.",
        ),
        ("**You can pay:**\n\n- card\n\n- cash\n\nNo cheques.", "You can pay:\n- card\n- cash"),
    ],
)
def test_a_chat_answer_is_the_plain_text_of_the_gist_one_list_item_per_line(body, text):
    assert first_paragraph_text(body) == text


@pytest.mark.parametrize(
    ("gist", "passage", "answer"),
    [
        (
            "Enter a code in the basket.",
            "Gift cards are valid for 2 years.",
            "Enter a code in the basket.\n\nGift cards are valid for 2 years.",
        ),
        ("You can pay:\n- by card\n- in cash", "in  cash", "You can pay:\n- by card\n- in cash"),  # already said
        ("Pay at the door.", "Choose one of these:", "Pay at the door."),  # a lead-in says nothing alone
        ("Pay at the door.", "", "Pay at the door."),  # the title or an example question matched
        ("", "Gift cards are valid for 2 years.", "Gift cards are valid for 2 years."),
    ],
)
def test_an_answer_is_the_gist_then_the_passage_that_matched_best_unless_the_gist_says_it(gist, passage, answer):
    assert with_best_passage(gist, passage) == answer


@pytest.mark.django_db  # the chat's plain text fills in the shop's facts (chatbot/facts.py)
def test_no_shipped_answer_repeats_its_gist():
    """The passage that matched best is added after the gist only if the gist does not say it,
    compared word by word: Markdown ("**Close account**,") and plain text agree."""
    for article in load_articles():
        for _, source in body_passage_pairs(article.body)[:1]:
            gist = first_paragraph(article.body)
            assert with_best_passage(gist, source) == gist, article.slug
            text = first_paragraph_text(article.body)
            assert with_best_passage(text, markdown_to_text(source)) == text, article.slug
