"""Product pictures: checking an upload is a real image, and the thumbnails the pages show.

``image_check`` is the one rule every way in calls (admin inline, API upload, demo seed through
``services.product_image_add``): at most ``PRODUCT_IMAGE_MAX_BYTES`` bytes and
``PRODUCT_IMAGE_MAX_PIXELS`` pixels, and a JPEG, PNG, WebP or GIF that Pillow can open and
verify. Anything else raises ``ValidationError`` with a sentence a person can act on.

``picture`` turns a ``ProductImage`` into what an ``<img>`` needs (``src``, ``srcset``,
``sizes``, ``width``, ``height``, ``alt``) for one of the page slots in ``SLOTS``. Thumbnails are
made by sorl-thumbnail on first use, cropped to the slot's 4:3 frame, and stored in the default
storage; which ones exist is remembered in its key-value store (cache first, then database), so
a page whose thumbnails exist reads no database row for them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image, UnidentifiedImageError
from sorl.thumbnail import get_thumbnail

logger = logging.getLogger(__name__)

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


@dataclass(frozen=True)
class Slot:
    """Where a picture appears: its thumbnail sizes (width, height) and the ``sizes`` hint."""

    sizes: tuple[tuple[int, int], ...]
    hint: str


SLOTS = {
    # Catalogue and home cards: 2 columns on a phone, 3 from 768 px, 4 from 992 px (Bootstrap grid).
    "card": Slot(((320, 240), (480, 360), (640, 480)), "(min-width: 992px) 25vw, (min-width: 768px) 33vw, 50vw"),
    # The product page's main picture: 5 of 12 columns from 768 px, the full width below.
    "main": Slot(((480, 360), (800, 600), (1200, 900)), "(min-width: 768px) 42vw, 100vw"),
    # The product page's other pictures, small.
    "thumb": Slot(((120, 90), (240, 180)), "120px"),
}


def image_check(file) -> str:
    """Refuse anything but a real, reasonably sized image; return its extension (``"png"``…).

    Reads the file with Pillow (``verify`` catches truncated and corrupt files) and leaves it
    rewound, so it can be saved afterwards.
    """
    max_bytes = settings.PRODUCT_IMAGE_MAX_BYTES
    size = getattr(file, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError(
            f"The image is {filesizeformat(size)}; the limit is {filesizeformat(max_bytes)}.", code="too_large"
        )
    try:
        file.seek(0)
        with Image.open(file) as probe:
            image_format = probe.format
            width, height = probe.size
            if width * height > settings.PRODUCT_IMAGE_MAX_PIXELS:
                raise ValidationError(
                    f"The image is {width} x {height} pixels; the limit is "
                    f"{settings.PRODUCT_IMAGE_MAX_PIXELS:,} pixels in all.",
                    code="too_many_pixels",
                )
            probe.verify()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            "This file is not an image we can read. Upload a JPEG, PNG, WebP or GIF picture.", code="not_an_image"
        ) from None
    finally:
        file.seek(0)
    if image_format not in ALLOWED_FORMATS:
        raise ValidationError(
            f"{image_format} pictures are not accepted. Upload a JPEG, PNG, WebP or GIF picture.", code="format"
        )
    return ALLOWED_FORMATS[image_format]


@dataclass(frozen=True)
class Picture:
    src: str
    srcset: str
    sizes: str
    width: int
    height: int
    alt: str


def picture(image, slot: str) -> Picture | None:
    """The ``<img>`` attributes of ``image`` in ``slot``, or None when its file cannot be read.

    A missing or broken file (deleted from storage by hand) shows the "No image" placeholder
    instead of failing the page; it is logged so the shop can upload it again.
    """
    frame = SLOTS[slot]
    try:
        thumbs = [get_thumbnail(image.image, f"{w}x{h}", crop="center", upscale=True) for w, h in frame.sizes]
    except (OSError, ValueError):
        logger.warning("Thumbnail of product image %s (%s) failed", image.pk, image.image.name, exc_info=True)
        return None
    if not thumbs or not all(thumb.url for thumb in thumbs):
        return None
    first = thumbs[0]
    return Picture(
        src=first.url,
        srcset=", ".join(f"{thumb.url} {thumb.width}w" for thumb in thumbs),
        sizes=frame.hint,
        width=first.width,
        height=first.height,
        alt=image.alt_text,
    )
