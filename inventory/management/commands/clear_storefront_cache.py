"""Invalidate every cached storefront page and listing (run on each deploy: the Procfile's `release`).

Cached pages are HTML rendered by the templates of the release that cached them; without this, a
deploy that changes a template would show the old markup to anonymous visitors until the entries
expire (storefront_cache.TTL).
"""

from django.core.management.base import BaseCommand

from inventory import storefront_cache


class Command(BaseCommand):
    help = "Invalidate all cached storefront pages and data (bumps the catalogue version)."

    def handle(self, *args, **options):
        storefront_cache.invalidate_all()
        self.stdout.write("Storefront cache invalidated.")
