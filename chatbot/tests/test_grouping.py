import numpy as np

from chatbot.grouping import group_similar


def test_spelling_variants_group_and_strangers_stay_apart():
    texts = ["where is my refund", "what is the meaning of life", "wheres my refund??", "do you sell gift cards"]

    assert group_similar(texts) == [[0, 2], [1], [3]]


def test_embeddings_join_questions_that_share_meaning_not_words():
    texts = ["where is my refund", "how long until I get my money back"]
    close = np.array([[1.0, 0.0], [0.8, 0.6]])
    far = np.array([[1.0, 0.0], [0.0, 1.0]])

    assert group_similar(texts, embeddings=close) == [[0, 1]]
    assert group_similar(texts, embeddings=far) == [[0], [1]]


def test_nothing_to_group():
    assert group_similar([]) == []
    assert group_similar(["?!", "..."]) == [[0], [1]]
