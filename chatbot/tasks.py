from celery import shared_task

from . import runtime


@shared_task(name="chatbot.articles_changed", time_limit=60, soft_time_limit=50, ignore_result=True)
def articles_changed() -> None:
    """Articles changed: bump the shared version; a process with an engine rebuilds it in the
    background, the others when they next reply. Safe to run twice (one more, cheap, version)."""
    runtime.engine_articles_changed()
