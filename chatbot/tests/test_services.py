"""chatbot_reply: live answers for the right customer only, identity rules, hand-over."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.tests.factories import CustomerFactory
from chatbot import runtime, services
from chatbot.engine import load_decision_model
from chatbot.models import Article, ChatMessage, Conversation
from chatbot.selectors import conversation_transcript
from chatbot.services import ChatError
from chatbot.tests.factories import ConversationFactory
from inventory import services as inventory_services
from inventory.tests.factories import ProductFactory, PurchaseOrderLineFactory, place_order, with_stock
from tickets.models import Channel, Queue, Ticket
from tickets.services import ticket_create, ticket_reply_agent

pytestmark = pytest.mark.usefixtures("help_centre")


@pytest.fixture
def always_sure(monkeypatch):
    """The engine answers with its best article whatever the decision layer's calibration says:
    for tests of what an answer says and where it leads, not of when the bot is sure."""
    engine = runtime.get_engine()
    monkeypatch.setattr(engine, "decision", replace(load_decision_model(engine.engine_name), answer_threshold=0.0))
    return engine


@pytest.fixture
def queues(db):
    return {
        slug: Queue.objects.create(slug=slug, name=slug.title(), position=i)
        for i, slug in enumerate(["general", "orders", "returns", "products", "account"])
    }


@pytest.fixture
def product(store, help_centre):
    product = with_stock(ProductFactory(store=store, name="Oak Garden Bench", price="149.00"), 20)
    runtime.refresh_product_names()  # what the engine does every few minutes in production
    return product


def mine(user):
    return ConversationFactory(user=user, visitor="")


def ask(conversation, text):
    return services.chatbot_reply(conversation=conversation, text=text)


def bot_text(messages):
    return "\n".join(m.text for m in messages if m.sender != "customer")


# --- live data, right customer only -----------------------------------------------------------


def test_order_status_answered_from_the_customers_order(customer, product):
    order = place_order(customer, (product, 1))

    messages = ask(mine(customer), f"Where is my order {order.number}?")

    assert [m.sender for m in messages] == ["customer", "bot"]
    assert f"Order {order.number}" in messages[1].text
    assert "being prepared for dispatch" in messages[1].text
    assert messages[1].links == [
        {"kind": "order", "title": f"Order {order.number}", "url": f"/shop/orders/{order.pk}/"}
    ]


def test_shipped_order_says_so(customer, product):
    order = place_order(customer, (product, 1))
    assert inventory_services.order_line_mark_shipped(line=order.lines.get())

    messages = ask(mine(customer), f"status of order {order.number}")

    assert "is on its way" in messages[1].text


def test_where_is_my_order_without_a_number_answers_the_latest_order(customer, product):
    order = place_order(customer, (product, 2))

    messages = ask(mine(customer), "where is my order")

    assert messages[1].text.startswith(f"Order {order.number}")


def test_another_customers_order_answers_like_a_missing_one(customer, product):
    other_order = place_order(CustomerFactory(), (product, 1))
    missing = other_order.pk + 1000

    foreign = ask(mine(customer), f"where is order {other_order.number}")[1].text
    unknown = ask(mine(customer), f"where is order SD-{missing:06d}")[1].text

    assert foreign == services.NOT_FOUND_ORDER.format(ref=other_order.number)
    assert unknown == services.NOT_FOUND_ORDER.format(ref=f"SD-{missing:06d}")
    assert "Oak" not in foreign
    assert "Casey" not in foreign


def test_an_order_number_not_on_the_account_is_said_so_then_the_customers_latest_orders(customer, product):
    own = place_order(customer, (product, 1))
    foreign = place_order(CustomerFactory(), (product, 1))
    missing = foreign.pk + 1000

    replies = {pk: ask(mine(customer), f"where is my order {pk}")[1] for pk in (foreign.pk, missing)}

    for pk, reply in replies.items():
        assert reply.action == "order_not_found"
        assert reply.text == (
            services.NOT_FOUND_ORDER.format(ref=f"SD-{pk:06d}")
            + f"\nYour latest orders:\n- {services.order_status_text(own)}"
        )
        assert reply.links == [{"kind": "order", "title": f"Order {own.number}", "url": f"/shop/orders/{own.pk}/"}]
    # Another customer's order reads exactly like one that does not exist, but for the number.
    assert replies[foreign.pk].text.replace(foreign.number, "X") == replies[missing].text.replace(
        f"SD-{missing:06d}", "X"
    )


def test_the_greetings_offer_of_an_arrival_date_is_kept_with_the_product_pages_estimate(product):
    from inventory.selectors import delivery_estimate

    estimate = delivery_estimate(product=product)
    greeting = services.conversation_start(user=None, visitor="v").messages.get()

    text = ask(ConversationFactory(), "if I order the oak garden bench today when does it arrive")[1].text

    assert "when it would arrive" in greeting.text
    assert text == (
        f"Oak Garden Bench is in stock. Ordered today it should arrive between "
        f"{services._short(estimate.earliest)} and {services._short(estimate.latest)}."
    )


def test_ticket_status_with_last_public_reply(customer, agent, queues):
    queues["orders"].agents.add(agent)
    ticket = ticket_create(requester=customer, queue=queues["orders"], subject="Bench", description="Wobbly leg")
    ticket_reply_agent(ticket=ticket, agent=agent, body="A new leg is on its way.")
    ticket_reply_agent(ticket=ticket, agent=agent, body="Secret internal note", internal=True)

    text = ask(mine(customer), f"what is the status of ticket {ticket.reference}")[1].text

    assert text.startswith(f"Your request {ticket.reference} “Bench” is open.")
    assert "A new leg is on its way." in text
    assert "Secret" not in text


def test_my_ticket_without_a_reference_lists_the_customers_own_latest_requests(customer, agent, queues):
    queues["orders"].agents.add(agent)
    none_yet = ask(mine(customer), "what's happening with my ticket?")[1]
    ticket_create(requester=CustomerFactory(), queue=queues["orders"], subject="Someone else's", description="x")
    first = ticket_create(requester=customer, queue=queues["orders"], subject="Bench", description="Wobbly leg")
    ticket_reply_agent(ticket=first, agent=agent, body="A new leg is on its way.")
    one = ask(mine(customer), "what's happening with my ticket?")[1]
    second = ticket_create(requester=customer, queue=queues["orders"], subject="Hose", description="Leaks")

    conversation = mine(customer)
    several = ask(conversation, "what's happening with my ticket?")[1]
    follow_up = ask(conversation, first.reference)[1]

    assert none_yet.text.startswith("I can't see any requests on your account.")
    assert one.text.startswith(f"Your request {first.reference} “Bench” is open.")
    assert "A new leg is on its way." in one.text
    assert several.text == (
        "Here are your latest requests:\n"
        f"- {second.reference} “Hose”: new\n"
        f"- {first.reference} “Bench”: open\n"
        "Ask about one by its reference (TCK-…) to see our last reply."
    )
    assert [link["title"] for link in several.links] == [second.reference, first.reference]
    assert "Someone else" not in several.text
    assert follow_up.text.startswith(f"Your request {first.reference} “Bench” is open.")


def test_an_anonymous_visitor_asking_about_their_ticket_is_asked_to_log_in(customer, queues):
    ticket_create(requester=customer, queue=queues["orders"], subject="Bench", description="Wobbly leg")

    reply = ask(ConversationFactory(), "what's happening with my ticket?")[1]

    assert reply.text == services.LOGIN_TEXT
    assert "Bench" not in reply.text


def test_another_customers_ticket_reveals_nothing(customer, queues):
    ticket = ticket_create(requester=CustomerFactory(), queue=queues["general"], subject="Private", description="x")

    text = ask(mine(customer), f"status of ticket {ticket.reference}")[1].text
    unknown = ask(mine(customer), "status of ticket TCK-99999")[1].text

    assert (
        text
        == f"I can't find a request {ticket.reference} on your account. Your requests are listed under “My requests”."
    )
    assert unknown == text.replace(ticket.reference, "TCK-99999")


def test_stock_and_price_of_a_product(customer, product):
    text = ask(mine(customer), "is the oak garden bench in stock?")[1].text

    assert text == "Oak Garden Bench: in stock, €149.00."


def test_a_product_name_several_products_share_answers_for_each(
    customer, store, help_centre, django_assert_max_num_queries
):
    with_stock(ProductFactory(store=store, name="Classic Camping Chair", price="30.00"), 8)
    with_stock(ProductFactory(store=store, name="Compact Camping Chair", price="25.00"), 2)
    with_stock(ProductFactory(store=store, name="Camping Table", price="40.00"), 5)
    with_stock(ProductFactory(store=store, name="Classic Kettle", price="20.00"), 5)  # "classic" is rarer now
    runtime.refresh_product_names()

    reply = ask(mine(customer), "how much is the camping chair?")[1]

    assert reply.text == (
        "These products match:\n"
        "- Classic Camping Chair: in stock, €30.00.\n"
        "- Compact Camping Chair: only 2 left, €25.00."
    )
    assert [link["title"] for link in reply.links] == ["Classic Camping Chair", "Compact Camping Chair"]
    assert ask(mine(customer), "is the compact camping chair in stock?")[1].text == (
        "Compact Camping Chair: only 2 left, €25.00."
    )
    arrival = ask(mine(customer), "when would the compact camping chair arrive?")[1].text
    assert arrival.startswith("Compact Camping Chair has only 2 left. Ordered today it should arrive between ")


def test_a_product_named_in_full_is_the_one_answered_and_an_off_sale_one_gives_way(customer, store, help_centre):
    with_stock(ProductFactory(store=store, name="Kettle", price="10.00"), 9)
    with_stock(ProductFactory(store=store, name="Compact Kettle", price="15.00"), 9)
    with_stock(ProductFactory(store=store, name="Classic Camping Chair", price="30.00", is_active=False), 9)
    with_stock(ProductFactory(store=store, name="Compact Camping Chair", price="25.00"), 9)
    runtime.refresh_product_names()

    assert ask(mine(customer), "is the compact kettle in stock?")[1].text == "Compact Kettle: in stock, €15.00."
    assert ask(mine(customer), "is the kettle in stock?")[1].text == "Kettle: in stock, €10.00."
    # The Classic Camping Chair is named in full but no longer on sale: the next match answers.
    assert ask(mine(customer), "how much is the classic camping chair?")[1].text == (
        "Compact Camping Chair: in stock, €25.00."
    )


def test_a_sold_out_product_is_not_promised_for_today_only_when_it_is_back(customer, store, help_centre):
    ProductFactory(store=store, name="Teak Rocking Chair", price="90.00")
    lamp = ProductFactory(store=store, name="Brass Floor Lamp", price="60.00")
    line = PurchaseOrderLineFactory(purchase_order__store=store, product=lamp)
    expected = timezone.localdate() + timedelta(days=4)
    inventory_services.purchase_order_mark_ordered(purchase_order=line.purchase_order, expected_date=expected)
    runtime.refresh_product_names()
    back = f"{(expected + timedelta(days=1)).day} "

    chair_stock = ask(mine(customer), "is the teak rocking chair in stock?")[1].text
    chair_arrival = ask(mine(customer), "when would the teak rocking chair arrive?")[1].text
    lamp_arrival = ask(mine(customer), "when would the brass floor lamp arrive?")[1].text

    assert chair_stock == (
        "Teak Rocking Chair: out of stock, €90.00. It can be ordered again once it is back. "
        "“Notify me” on its page emails you when it is."
    )
    assert chair_arrival.startswith("Teak Rocking Chair is out of stock. It can be ordered again once it is back.")
    assert "Ordered today" not in chair_stock + chair_arrival + lamp_arrival
    assert lamp_arrival.startswith("Brass Floor Lamp is out of stock. It can be ordered again once it is back. ")
    assert "We expect more with our supplier's next delivery: ordered then, it could reach you " + back in lamp_arrival


def test_a_delivery_question_about_a_product_the_customer_has_on_the_way_answers_with_that_order(customer, product):
    order = place_order(customer, (product, 1))
    place_order(CustomerFactory(), (product, 1))  # someone else's order of it changes nothing here
    question = "when will the oak garden bench get here?"

    pending = ask(mine(customer), question)[1]
    assert inventory_services.order_line_mark_shipped(line=order.lines.get())
    shipped = ask(mine(customer), question)[1]
    assert inventory_services.order_line_mark_delivered(line=order.lines.get())
    delivered = ask(mine(customer), question)[1]
    no_orders = ask(mine(CustomerFactory()), question)[1]

    assert pending.action == shipped.action == "lookup_order"
    assert pending.text.startswith(f"Order {order.number}")
    assert "being prepared for dispatch" in pending.text
    assert pending.links == [{"kind": "order", "title": f"Order {order.number}", "url": f"/shop/orders/{order.pk}/"}]
    assert shipped.text.startswith(f"Order {order.number}")
    assert "is on its way" in shipped.text
    # Once it has arrived the question can only be about a new one: when that would arrive.
    assert delivered.action == no_orders.action == "estimate_delivery"
    assert delivered.text.startswith("Oak Garden Bench is in stock. Ordered today it should arrive between ")
    assert no_orders.text == delivered.text


def test_an_order_of_another_product_of_a_similar_name_is_not_the_one_on_the_way(customer, store, help_centre):
    kettle = with_stock(ProductFactory(store=store, name="Kettle", price="10.00"), 9)
    with_stock(ProductFactory(store=store, name="Compact Kettle", price="15.00"), 9)
    runtime.refresh_product_names()
    place_order(customer, (kettle, 1))

    reply = ask(mine(customer), "when will the compact kettle get here?")[1]

    assert reply.action == "estimate_delivery"
    assert reply.text.startswith("Compact Kettle is in stock. Ordered today it should arrive between ")


def test_delivery_estimate_for_a_product(product):
    conversation = ConversationFactory()
    today = timezone.localdate()

    text = ask(conversation, "when would the oak garden bench arrive if I order today")[1].text

    expected = f"{(today + timedelta(days=1)).day} "
    assert text.startswith("Oak Garden Bench is in stock. Ordered today it should arrive between ")
    assert expected in text


def test_an_answer_adds_the_passage_that_matched_best_unless_the_article_has_changed_since(always_sure):
    question = "can the courier leave my cash on delivery parcel with a neighbour when I miss the delivery?"

    answer = ask(ConversationFactory(), question)[1].text
    Article.objects.filter(slug="missed-delivery").update(body="We try twice.\n\nNothing else here.")
    changed = ask(ConversationFactory(), question)[1].text

    assert answer.startswith("If you were not at home when the courier came, open a ticket")
    assert "\n\nCash on delivery parcels cannot be left with a neighbour" in answer
    assert answer.endswith("More in “Missed delivery and redelivery”.")
    # The index still has the old passage; the article no longer says it, so it is not quoted.
    assert changed == "We try twice.\n\nMore in “Missed delivery and redelivery”."


def test_faq_answer_links_the_article_as_plain_text(always_sure):
    from accounts.tests.factories import StoreFactory
    from inventory.models import StoreShipping

    store = StoreFactory(name="Corner Shop")
    StoreShipping.objects.create(store=store, delivery_fee=Decimal("4.95"), free_delivery_threshold=Decimal("50"))
    messages = ask(ConversationFactory(), "how much is shipping?")

    reply = messages[1]
    assert reply.article.slug == "shipping-costs"
    # The store's fee, read from its delivery settings when answering (chatbot/facts.py).
    assert "at Corner Shop delivery costs €4.95 per order, free when the goods come to €50.00 or more." in reply.text
    assert "**" not in reply.text
    assert reply.links[0] == {
        "kind": "article",
        "title": "Shipping costs and free delivery",
        "url": "/help/shipping-costs/",
    }
    assert len(reply.links) == 3  # and the two related articles after it
    assert messages[0].needs_review is False


def test_a_new_articles_example_question_is_answered_from_it_after_the_commit(
    help_centre, django_capture_on_commit_callbacks
):
    question = "Can you hire out a trailer to take my garden waste away?"
    old_intent_model = help_centre.intent_model
    article = Article(
        slug="trailer-hire",
        title="Trailer hire for garden waste",
        body="Our shops hire out a small car trailer for €25 a day, so you can take garden waste to the tip.",
        category="Services",
        example_questions=f"{question}\ndo you rent trailers",
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.article_save(article=article)
    assert runtime.wait_for_rebuild()  # the rebuild runs in the background thread

    # The hook rebuilt the index and refitted the intent model from the new article set.
    assert runtime.get_engine().intent_model is not old_intent_model
    assert question in runtime.get_engine().intent_model.texts
    question_message, answer = ask(ConversationFactory(), question)
    assert (question_message.intent, answer.action, answer.article) == ("faq", "answer", article)
    assert "€25 a day" in answer.text


def test_saving_many_articles_in_one_transaction_rebuilds_the_engine_once(
    help_centre, django_capture_on_commit_callbacks, monkeypatch
):
    rebuilt = []
    monkeypatch.setattr(help_centre, "rebuild_index", lambda articles: rebuilt.append([a.slug for a in articles]))
    before = cache.get(runtime.VERSION_KEY)
    published = Article.objects.filter(is_published=True).count()

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        for n in range(3):
            services.article_save(article=Article(slug=f"bulk-{n}", title=f"Bulk {n}", body="Text.", category="Orders"))
    assert runtime.wait_for_rebuild()

    assert len(callbacks) == 3  # one per save, but only the first one enqueues the task
    assert len(rebuilt) == 1
    assert len(rebuilt[0]) == published + 3
    assert cache.get(runtime.VERSION_KEY) == before + 1


@transaction.atomic
def save_then_fail(article):
    services.article_save(article=article)
    raise ChatError("something later in the same use case failed")


def test_a_rolled_back_transactions_saves_do_not_stop_the_next_ones_rebuild(
    help_centre, django_capture_on_commit_callbacks, monkeypatch
):
    rebuilt = []
    monkeypatch.setattr(help_centre, "rebuild_index", lambda articles: rebuilt.append([a.slug for a in articles]))

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ChatError):  # the article is saved, then the transaction fails and rolls back
            save_then_fail(Article(slug="gone", title="Gone", body="Text.", category="Orders"))
        services.article_save(article=Article(slug="kept", title="Kept", body="Text.", category="Orders"))
    assert runtime.wait_for_rebuild()

    assert len(rebuilt) == 1
    assert "kept" in rebuilt[0]
    assert "gone" not in rebuilt[0]
    assert not Article.objects.filter(slug="gone").exists()


# --- identity: anonymous visitors ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["where is my order", "where is order SD-000001", "my email is jo@example.com", "status of TCK-00001", "#123456"],
)
def test_anonymous_visitor_is_asked_to_log_in_and_learns_nothing(customer, product, text):
    place_order(customer, (product, 1))
    conversation = ConversationFactory()

    reply = ask(conversation, text)[1]

    assert reply.text == services.LOGIN_TEXT
    assert reply.links == [{"kind": "login", "title": "Log in", "url": "/accounts/login/"}]


# --- unsure, hand-over -----------------------------------------------------------------------------


def test_unsure_offers_articles_and_records_the_question():
    messages = ask(ConversationFactory(), "what is the capital of france")

    assert messages[1].action == "unsure"
    assert messages[0].needs_review is True
    assert "not sure" in messages[1].text


def test_above_the_floor_an_unsure_reply_lists_the_three_closest_articles_and_below_it_none(monkeypatch):
    engine = runtime.get_engine()
    calibrated = load_decision_model(engine.engine_name)
    never_sure = replace(calibrated, answer_threshold=1.01)  # a probability never reaches it

    monkeypatch.setattr(engine, "decision", replace(never_sure, offer_threshold=0.0))
    close = ask(ConversationFactory(), "the table leg snapped in transit")[1]
    monkeypatch.setattr(engine, "decision", replace(never_sure, offer_threshold=1.01))
    far = ask(ConversationFactory(), "the table leg snapped in transit")[1]

    assert close.action == far.action == "unsure"
    assert close.text.startswith("I'm not sure I understood. Did you mean one of these?")
    assert [link["kind"] for link in close.links] == ["article", "article", "article"]
    assert [link["url"] for link in close.links] == [
        f"/help/{hit.slug}/" for hit in engine.search("the table leg snapped in transit")
    ]
    assert far.links == []
    assert far.text.startswith("I'm not sure I can help with that.")


def test_a_confident_answer_links_its_article_first_then_up_to_two_related(always_sure):
    hits = always_sure.search("how much does delivery cost")

    answer = ask(ConversationFactory(), "how much does delivery cost")[1]

    assert (answer.action, answer.article.slug) == ("answer", hits[0].slug)
    assert [link["url"] for link in answer.links] == [f"/help/{hit.slug}/" for hit in hits]


def test_two_unsure_answers_in_a_row_hand_over(customer, queues):
    conversation = mine(customer)

    ask(conversation, "what is the capital of france")
    messages = ask(conversation, "who won the football yesterday")

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.HANDED_OVER
    ticket = conversation.ticket
    assert (ticket.channel, ticket.requester, ticket.queue) == (Channel.CHAT, customer, queues["general"])
    assert "Customer: what is the capital of france" in ticket.description
    assert "Handed over because: 2 unsure answers in a row." in ticket.description
    assert messages[-1].sender == "system"
    assert ticket.reference in messages[-1].text


def test_asking_for_a_person_hands_over_to_the_right_queue_with_offered_articles(customer, queues, always_sure):
    conversation = mine(customer)
    ask(conversation, "can I return something?")

    messages = ask(conversation, "I want to talk to a person")

    ticket = Ticket.objects.get()
    assert ticket.queue == queues["returns"]
    assert "Help articles the assistant already offered:" in ticket.description
    assert "/help/how-to-return/" in ticket.description
    assert [m.sender for m in messages] == ["customer", "system"]


def test_unhappy_customer_is_handed_over(customer, queues):
    conversation = mine(customer)

    messages = ask(conversation, "it's been 10 days, this is ridiculous, I am furious")

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.HANDED_OVER
    # No article or "not sure" first: whatever it matched, it would only answer by chance.
    assert [m.sender for m in messages] == ["customer", "system"]


def test_an_unhappy_customers_ticket_goes_to_the_queue_of_the_article_not_posted(customer, queues):
    conversation = mine(customer)

    messages = ask(conversation, "this is ridiculous, how do I return an item for a refund?")

    conversation.refresh_from_db()
    assert [m.sender for m in messages] == ["customer", "system"]
    assert conversation.ticket.queue.slug == "returns"


def test_an_unhappy_customer_is_not_asked_a_question_just_before_the_hand_over(customer, queues):
    messages = ask(mine(customer), "this is useless, is it in stock?")

    assert [m.sender for m in messages] == ["customer", "system"]


def test_an_unhappy_customer_still_hears_what_live_data_says_before_the_hand_over(customer, product, queues):
    order = place_order(customer, (product, 1))

    messages = ask(mine(customer), f"this is ridiculous, where is order {order.number}?")

    assert [m.sender for m in messages] == ["customer", "bot", "system"]
    assert messages[1].text.startswith(f"Order {order.number}")


def test_hand_over_twice_opens_one_ticket(customer, queues):
    conversation = mine(customer)
    ask(conversation, "hello")

    first = services.conversation_hand_over(conversation=conversation)
    second = services.conversation_hand_over(conversation=Conversation.objects.get(pk=conversation.pk))

    assert Ticket.objects.count() == 1
    assert first.ticket_id == second.ticket_id
    assert conversation.messages.filter(sender="system").count() == 1


def test_a_stale_second_hand_over_loses_the_conditional_update(customer, queues, monkeypatch):
    """Two requests that both read "no ticket yet": the loser's ticket is rolled back."""
    conversation = mine(customer)
    winner = services.conversation_hand_over(conversation=conversation)
    # Simulate the race: the second caller's locked read still saw no ticket.
    real_get = Conversation.objects.select_for_update

    class Stale:
        def get(self, pk):
            stale = Conversation.objects.get(pk=pk)
            stale.ticket_id = None
            return stale

    monkeypatch.setattr(Conversation.objects, "select_for_update", lambda: Stale())
    services.conversation_hand_over(conversation=conversation)
    monkeypatch.setattr(Conversation.objects, "select_for_update", real_get)

    assert list(Ticket.objects.values_list("pk", flat=True)) == [winner.ticket_id]


def test_anonymous_hand_over_asks_to_log_in_and_opens_nothing(queues):
    conversation = ConversationFactory()

    messages = ask(conversation, "talk to a person please")

    assert messages[-1].text == services.LOGIN_FOR_HANDOVER_TEXT
    assert Ticket.objects.count() == 0
    with pytest.raises(services.ChatError):
        services.conversation_hand_over(conversation=conversation)
    assert Ticket.objects.count() == 0


def test_after_hand_over_messages_go_to_the_ticket_and_agent_replies_show_in_the_chat(customer, agent, queues):
    queues["general"].agents.add(agent)
    conversation = mine(customer)
    ask(conversation, "talk to a person")
    conversation.refresh_from_db()

    messages = ask(conversation, "My parcel never came")
    ticket_reply_agent(ticket=conversation.ticket, agent=agent, body="Sorry! I'm sending a new one.")
    ticket_reply_agent(ticket=conversation.ticket, agent=agent, body="internal only", internal=True)

    assert [m.sender for m in messages] == ["customer"]
    assert conversation.ticket.messages.filter(author_kind="customer", body="My parcel never came").exists()
    entries = conversation_transcript(Conversation.objects.get(pk=conversation.pk))
    assert [(e.sender, e.text) for e in entries[-2:]] == [
        ("customer", "My parcel never came"),
        ("agent", "Sorry! I'm sending a new one."),
    ]


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "x" * 1001])
def test_empty_or_oversized_message_is_refused_and_nothing_is_stored(text):
    conversation = ConversationFactory()

    with pytest.raises(services.ChatError):
        ask(conversation, text)

    assert ChatMessage.objects.count() == 0


def test_feedback_only_on_bot_replies():
    conversation = ConversationFactory()
    question, answer = ask(conversation, "how much is shipping?")

    services.message_feedback(message=answer, value="up")
    with pytest.raises(services.ChatError):
        services.message_feedback(message=question, value="up")
    with pytest.raises(services.ChatError):
        services.message_feedback(message=answer, value="meh")

    answer.refresh_from_db()
    question.refresh_from_db()
    assert (answer.feedback, question.feedback) == ("up", "")
