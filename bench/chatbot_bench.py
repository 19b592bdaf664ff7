"""Chat engine latency with 1,000 articles.

    python bench/chatbot_bench.py [--rounds 3] [--lexical] [--articles 1000] [--products 40] [--vector-cache]

The 43 real help-centre articles are padded with SYNTHETIC filler articles (generated below,
titled "[synthetic] ...") up to 1,000, for this latency measurement only; they are never seeded or
shown to anyone. Each held-out message of chatbot/eval is then answered ``--rounds`` times and the
per-reply wall time (intent + entities + retrieval + decision; no network, no database) is
reported as p50/p95/max. It also times a full build and a rebuild after one article changed (the
index and the intent model, which also learns from every article's title, passages and sentences).
With ``--vector-cache`` it also times, in CPU seconds, a build that starts with an empty vector
cache file (and saves it) and a second engine built from that file, as a process start after
another process saved it (``CHATBOT_VECTOR_CACHE``); the file is a temporary one.
``--products N`` pads the 40 demo product names with synthetic ones ("Patio heater 0041 north"),
for a shop with a larger catalogue: every reply matches product names.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chatbot.engine import (
    Article,
    ChatEngine,
    VectorStore,
    load_articles,
    load_embedder,
    load_product_names,
    load_split,
)

PRODUCTS = [
    "rattan lounge set",
    "teak bench",
    "hose reel",
    "pruning saw",
    "leaf rake",
    "rain barrel",
    "bird bath",
    "raised bed kit",
    "greenhouse heater",
    "pond pump",
    "fire pit",
    "log store",
    "cold frame",
    "garden trolley",
    "bamboo screen",
    "olive tree",
    "herb planter",
    "patio cleaner",
    "cushion box",
    "sun lounger",
]
TOPICS = [
    ("care guide", "Clean the {p} twice a season with mild soapy water and dry it before storing it for winter."),
    ("sizing", "The {p} comes in three sizes; measure the space and leave 10 cm around it for air and access."),
    ("winter storage", "Store the {p} in a dry shed over winter, covered, and away from frost and direct heat."),
    ("spare parts", "Spare parts for the {p} such as screws, caps and covers are listed under Downloads."),
    ("safety notes", "Keep children and pets away from the {p} while it is in use and read the safety leaflet."),
    ("installation", "Install the {p} on level ground; two people need about an hour with basic tools."),
    ("materials", "The {p} is made from weather-resistant materials certified for outdoor use."),
    ("troubleshooting", "If the {p} does not work as expected, check the fittings and the manual's fault table."),
    ("eco information", "Packaging of the {p} is recyclable; old units can be returned to council recycling points."),
    ("buying guide", "Compare {p} models by capacity, weight and warranty before choosing one for your garden."),
]
REGIONS = ["north", "south", "east", "west", "coastal"]


def synthetic_articles(count: int) -> list[Article]:
    articles = []
    for n, (product, (topic, sentence), region) in enumerate(itertools.product(PRODUCTS, TOPICS, REGIONS)):
        if n == count:
            break
        articles.append(
            Article(
                slug=f"synthetic-{n:04d}",
                title=f"[synthetic] {product.capitalize()}: {topic} for {region} gardens",
                body=(
                    f"{sentence.format(p=product)}\n\n"
                    f"- Gardens in the {region} often need extra attention in {('spring', 'autumn')[n % 2]}.\n"
                    f"- Reference {n:04d}: this article is synthetic filler for the latency benchmark.\n"
                ),
                category="Synthetic",
            )
        )
    if len(articles) < count:
        raise SystemExit(f"can only generate {len(articles)} distinct synthetic articles")
    return articles


def synthetic_product_names(names: list[str], count: int) -> list[str]:
    padded = list(names)
    for n, (product, region) in enumerate(itertools.product(PRODUCTS, REGIONS * 40)):
        if len(padded) >= count:
            break
        padded.append(f"{product.capitalize()} {n:04d} {region}")
    return padded


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--products", type=int, default=40, help="Product names, padded with synthetic ones.")
    parser.add_argument("--lexical", action="store_true", help="Measure the TF-IDF fallback instead.")
    parser.add_argument(
        "--vector-cache",
        action="store_true",
        help="Build from an empty vector cache file (saving it), then time a second build from that file.",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    real = load_articles()
    articles = real + synthetic_articles(args.articles - len(real))
    embedder = None if args.lexical else load_embedder()
    training = load_split("tuning")
    directory = tempfile.TemporaryDirectory()
    store = VectorStore(Path(directory.name) / "chatbot-vectors.npz") if args.vector_cache and embedder else None
    started, started_cpu = time.perf_counter(), time.process_time()
    engine = ChatEngine(
        articles=articles,
        training=training,
        product_names=synthetic_product_names(load_product_names(), args.products),
        embedder=embedder,
        vector_store=store,
    )
    build_s, build_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    warm_cpu = None
    if store is not None:
        # A process start after another process saved the file: a new engine, the same file.
        started_cpu = time.process_time()
        ChatEngine(articles=articles, training=training, embedder=embedder, vector_store=store)
        warm_cpu = time.process_time() - started_cpu
        store_mb = store.path.stat().st_size / 1e6
    directory.cleanup()

    changed = Article(
        **{**real[0].__dict__, "body": real[0].body + "\n\nUpdated: orders over €75 ship free in December."}
    )
    started = time.perf_counter()
    engine.rebuild_index([changed, *articles[1:]])
    rebuild_ms = (time.perf_counter() - started) * 1000

    messages = [m.text for m in load_split("heldout")]
    for text in messages[:10]:
        engine.reply(text)  # warm-up
    timings = []
    for _ in range(args.rounds):
        for text in messages:
            started = time.perf_counter()
            engine.reply(text)
            timings.append((time.perf_counter() - started) * 1000)
    unknown = []
    for text in messages:
        started = time.perf_counter()
        engine.unknown_share(text)
        unknown.append((time.perf_counter() - started) * 1000)
    embedding = []
    if embedder is not None:
        for text in messages:
            started = time.perf_counter()
            embedder.embed([text])
            embedding.append((time.perf_counter() - started) * 1000)

    print(
        f"engine: {engine.engine_name}; articles: {len(engine.index.articles)} ({len(real)} real + "
        f"{len(articles) - len(real)} synthetic filler); product names: {args.products}"
    )
    cold = "with an empty vector cache file, saving it" if store is not None else "cold"
    print(f"index build ({cold}, includes intent model training): {build_s:.1f} s, {build_cpu:.1f} CPU s")
    if warm_cpu is not None:
        print(f"index build from the saved vector cache file ({store_mb:.1f} MB): {warm_cpu:.1f} CPU s")
    print(f"rebuild after one article changed (index + intent model refit): {rebuild_ms:.0f} ms")
    print(f"replies timed: {len(timings)} ({len(messages)} held-out messages x {args.rounds} rounds)")
    print(
        f"reply latency: p50 {statistics.median(timings):.1f} ms, p95 {percentile(timings, 95):.1f} ms, "
        f"max {max(timings):.1f} ms"
    )
    if embedding:
        print(
            f"  of which the query embedding alone: p50 {statistics.median(embedding):.1f} ms, "
            f"p95 {percentile(embedding, 95):.1f} ms"
        )
    print(
        f"  of which the unknown-word share alone: p50 {statistics.median(unknown):.2f} ms, "
        f"p95 {percentile(unknown, 95):.2f} ms"
    )
    print(f"load average while measuring: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
