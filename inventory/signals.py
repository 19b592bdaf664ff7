"""Keep the storefront cache honest: model writes bump its versions after commit.

Signals, not service calls, because products, categories and stores are also written by the
admin and the CSV import. Stock changes are ``UPDATE``s that send no signal; the ledger calls
``storefront_cache.product_changed`` itself (``services.ledger.stock_level_changed``).
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import Store

from . import storefront_cache
from .models import Category, Product, ProductImage, PurchaseOrder, PurchaseOrderLine, Review


@receiver([post_save, post_delete], sender=Product)
def _product_written(sender, instance: Product, **kwargs) -> None:
    storefront_cache.product_changed(instance.pk, listing_changed=True)


@receiver([post_save, post_delete], sender=ProductImage)
def _product_image_written(sender, instance: ProductImage, **kwargs) -> None:
    # The first picture is on the catalogue card, so the listing changes too.
    storefront_cache.product_changed(instance.product_id, listing_changed=True)


@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=Store)
def _listing_written(sender, instance, **kwargs) -> None:
    storefront_cache.catalogue_changed()


@receiver(post_save, sender=PurchaseOrder)
def _purchase_order_written(sender, instance: PurchaseOrder, **kwargs) -> None:
    # Its status and expected date drive the delivery estimate of every product on it.
    for product_id in instance.lines.values_list("product_id", flat=True):
        storefront_cache.product_changed(product_id)


@receiver([post_save, post_delete], sender=Review)
@receiver([post_save, post_delete], sender=PurchaseOrderLine)
def _product_detail_written(sender, instance, **kwargs) -> None:
    storefront_cache.product_changed(instance.product_id)
