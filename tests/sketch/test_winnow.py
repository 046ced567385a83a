"""The fragment layer's fingerprints: winnowing keeps the guarantee it is used for."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from chachong.sketch.keys import sketch_sentences
from chachong.sketch.lsh import LshParams
from chachong.sketch.winnow import FRAGMENT_CHARS, WINDOW, unique_sorted, window_minima, winnow
from chachong.text.normalize import normalize

from ..conftest import corpus_text

# Characters of the genre, so shingles repeat as they do in real text (的, 工作, 加强 …).
ALPHABET = "的工作加强推进落实开展全面深入建设发展服务管理群众县委政府学校医院档案水利税务"


@given(st.lists(st.integers(0, 2**32 - 1), min_size=0, max_size=60), st.integers(1, 12))
def test_window_minima_is_the_minimum_of_every_window(values, window):
    hashes = np.array(values, dtype=np.uint32)
    expected = [min(values[i : i + window]) for i in range(len(values) - window + 1)]
    assert window_minima(hashes, window).tolist() == expected


@given(st.lists(st.lists(st.integers(0, 2**32 - 1), max_size=30), max_size=8))
def test_winnow_keeps_each_window_minimum_once_per_sentence(sentences):
    hashes = np.array([h for s in sentences for h in s], dtype=np.uint32)
    offsets = np.concatenate(([0], np.cumsum([len(s) for s in sentences]))).astype(np.int64)
    got = set(zip(*(a.tolist() for a in winnow(hashes, offsets))))
    expected = set()
    for i, s in enumerate(sentences):
        if 0 < len(s) < WINDOW:
            expected.add((i, min(s)))
        expected.update((i, min(s[j : j + WINDOW])) for j in range(len(s) - WINDOW + 1))
    assert got == expected
    assert len(got) == len(winnow(hashes, offsets)[0])  # each pair once


@settings(max_examples=200, deadline=None)
@given(
    st.text(ALPHABET, min_size=0, max_size=40), st.text(ALPHABET, min_size=FRAGMENT_CHARS, max_size=30),
    st.text(ALPHABET, min_size=0, max_size=40), st.text(ALPHABET, min_size=0, max_size=40),
    st.text(ALPHABET, min_size=0, max_size=40),
)
def test_any_shared_run_of_13_characters_shares_a_fingerprint(before_a, shared, after_a, before_b, after_b):
    """The guarantee (Schleimer et al.): a clause of FRAGMENT_CHARS or more inside two sentences,
    whatever surrounds it on either side, gives both sentences a common fingerprint."""
    params = LshParams()
    a = sketch_sentences(normalize(before_a + shared + after_a + "。"), params).fragments
    b = sketch_sentences(normalize(before_b + shared + after_b + "。"), params).fragments
    assert set(a.keys.tolist()) & set(b.keys.tolist())


def test_about_a_fifth_of_the_shingles_become_fingerprints():
    norm = normalize(corpus_text("001_e5cfe61341d97502.txt"))
    sketch = sketch_sentences(norm, LshParams())
    shingles = int(np.sum(sketch.sents.ends - sketch.sents.starts - 4))
    density = len(sketch.fragments) / shingles
    assert 2 / (WINDOW + 1) * 0.6 < density < 2 / (WINDOW + 1) * 1.1
    # sorted by sentence, so a document's postings are one slice of its file's
    assert np.all(np.diff(sketch.fragments.sentences()) >= 0) and sketch.fragments.units.dtype == np.uint32


@given(st.lists(st.integers(-(2**40), 2**40)))
def test_unique_sorted_is_numpy_unique(values):
    array = np.array(values, dtype=np.int64)
    assert unique_sorted(array).tolist() == np.unique(array).tolist()
