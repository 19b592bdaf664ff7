from io import StringIO
from pathlib import Path

from django.core.management import call_command
from rapidfuzz import fuzz

from chatbot.demo import demo_questions, seed_articles
from chatbot.engine import load_articles, load_labelled, load_split
from chatbot.models import Article

# The demo shop's held-out questions: measured by bench/chatbot_bench.py, never read at run time.
HELD_OUT = Path(__file__).resolve().parents[2] / "bench" / "chatbot_eval" / "demo_questions.tsv"


def test_seed_articles_loads_the_guidelines_with_example_questions_once(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        created = seed_articles()
    again = seed_articles()

    assert created == len(load_articles()) >= 40
    assert again == 0
    assert len(callbacks) == 1  # one index rebuild, after commit
    assert all(len(a.question_list) >= 3 for a in Article.objects.all())


def test_seed_keeps_an_agents_edits(db):
    seed_articles()
    Article.objects.filter(slug="shipping-costs").update(title="Edited by an agent")

    seed_articles()

    assert Article.objects.get(slug="shipping-costs").title == "Edited by an agent"


def test_demo_questions_are_not_copied_from_the_evaluation_set():
    labelled = [m.text.lower() for m in load_labelled(HELD_OUT) + load_split("tuning")]
    slugs = {a.slug for a in load_articles()}
    for slug, questions in demo_questions().items():
        assert slug in slugs
        for question in questions:
            assert max(fuzz.ratio(question.lower(), text) for text in labelled) < 75, question


def test_seed_demo_command_includes_the_help_centre(db, monkeypatch):
    import helpdesk_project.management.commands.seed_demo as seed_demo

    for name in ("seed_accounts", "seed_inventory", "seed_helpdesk"):
        monkeypatch.setattr(seed_demo, name, lambda report: None)  # covered by their own apps' tests
    out = StringIO()

    call_command("seed_demo", stdout=out)

    assert Article.objects.count() == len(load_articles())
    assert f"{len(load_articles())} help articles" in out.getvalue()
