"""DRF content negotiation for StockDesk's API (its own module: ``rest_framework.views`` reads the
setting as it is imported, so the class cannot live beside code that imports DRF's views)."""

from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, with the common case answered without parsing anything.

    A client that accepts anything (or sends no ``Accept``) or asks for exactly the first
    renderer's type, with no query string (so no ``?format=``), gets the first renderer, as DRF's
    own rules give it. DRF parses the ``Accept`` header and builds ``query_params`` on every
    request to get there, about 85 us, more than resolving the URL; every other request takes
    DRF's path unchanged.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        meta = request.META
        accept = meta.get("HTTP_ACCEPT", "*/*")
        if renderers and format_suffix is None and not meta.get("QUERY_STRING"):
            first = renderers[0]
            if accept == "*/*" or accept == first.media_type:
                return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
