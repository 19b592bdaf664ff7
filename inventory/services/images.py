"""Product pictures as staff add and remove them (the API and the demo seed; the admin's inline form
runs the same ``images.image_check`` in its ``clean_image``)."""

from __future__ import annotations

import logging
import uuid

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from sorl.thumbnail import delete as thumbnail_delete

from ..images import image_check
from ..models import Product, ProductImage

logger = logging.getLogger(__name__)


def product_image_add(*, product: Product, file: File, alt_text: str, position: int | None = None) -> ProductImage:
    """Store ``file`` as a picture of ``product`` after checking it is a real image.

    Raises ``ValidationError`` (keyed by field) and stores nothing when the file is not an image,
    too large, or the alt text is empty. The stored name is random (the upload's own name is
    neither trusted nor shown). ``position`` defaults to after the product's last picture.
    Not idempotent: each call adds a picture.
    """
    alt_text = (alt_text or "").strip()
    if not alt_text:
        raise ValidationError({"alt_text": "Describe the picture for people who cannot see it."})
    try:
        extension = image_check(file)
    except ValidationError as exc:
        raise ValidationError({"image": exc.messages}) from None
    with transaction.atomic():
        if position is None:
            last = product.images.order_by("-position").values_list("position", flat=True).first()
            position = 0 if last is None else last + 1
        image = ProductImage(product=product, alt_text=alt_text[:200], position=position)
        image.image.save(f"{uuid.uuid4().hex}.{extension}", file, save=False)
        # If the row cannot be written, do not leave the file behind in storage.
        try:
            image.save()
        except Exception:
            image.image.delete(save=False)
            raise
    logger.debug("Image %s added to product %s", image.pk, product.pk)
    return image


def product_image_delete(*, image: ProductImage) -> None:
    """Remove a picture and, once the deletion is committed, its file and thumbnails."""
    file = image.image
    image.delete()
    transaction.on_commit(lambda: thumbnail_delete(file, delete_file=True))
