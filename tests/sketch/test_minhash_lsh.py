"""Our bulk MinHash and LSH give exactly what datasketch gives for the same input."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from chachong.sketch.lsh import LshParams, band_keys
from chachong.sketch.minhash import signatures
from chachong.sketch.shingles import sentence_shingles, shingle_hash
from chachong.text.normalize import normalize
from chachong.text.sentences import split_sentences

from ..conftest import brute_force_candidates, corpus_text


def _sentences(text: str):
    norm = normalize(text)
    sents = split_sentences(norm)
    strings = [norm.text[a:b] for a, b in zip(sents.starts.tolist(), sents.ends.tolist())]
    return norm, sents, strings


@pytest.mark.parametrize(("num_perm", "seed"), [(64, 1), (128, 7)])
def test_signatures_equal_datasketch(num_perm, seed):
    norm, sents, strings = _sentences(corpus_text("003_ec39d6286021c7d9.txt"))
    hashes, offsets = sentence_shingles(norm.codes, sents, k=5)
    ours = signatures(hashes, offsets, num_perm=num_perm, seed=seed)
    assert len(strings) > 50
    for i, s in enumerate(strings):
        reference = MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash)
        reference.update_batch([s[j : j + 5] for j in range(len(s) - 4)])
        assert np.array_equal(ours[i], reference.hashvalues), s


def test_shingle_hash_matches_vectorized():
    norm, sents, strings = _sentences("以新时代中国特色社会主义思想为指导。深入学习贯彻D的二十大精神")
    hashes, _offsets = sentence_shingles(norm.codes, sents, k=5)
    expected = [shingle_hash(s[j : j + 5]) for s in strings for j in range(len(s) - 4)]
    assert hashes.tolist() == expected


def test_lsh_candidates_equal_datasketch(corpus_store):
    params = LshParams()
    norm, sents, strings = _sentences(corpus_text("000_8b880e3bb4cd86c7.txt"))
    hashes, offsets = sentence_shingles(norm.codes, sents, k=params.shingle_chars)
    sigs = signatures(hashes, offsets, num_perm=params.num_perm, seed=params.seed)
    keys = band_keys(sigs, params)
    lsh = MinHashLSH(num_perm=params.num_perm, params=(params.bands, params.rows))
    for i, sig in enumerate(sigs):
        lsh.insert(i, MinHash(num_perm=params.num_perm, seed=params.seed, hashvalues=sig, scheme="affine32"))
    # our candidates: sentences sharing at least one band key
    for i in range(0, len(strings), 7):
        ours = {j for j in range(len(strings)) if np.any(keys[j] == keys[i])}
        theirs = set(lsh.query(MinHash(num_perm=params.num_perm, seed=params.seed, hashvalues=sigs[i], scheme="affine32")))
        assert ours == theirs


def test_store_candidates_equal_brute_force(corpus_store):
    """The on-disk chunked index returns exactly the sentences that share a band key."""
    params = corpus_store.params
    docs = corpus_store.documents()
    all_keys = []
    for d in docs:
        norm = normalize(d.text)
        sents = split_sentences(norm)
        hashes, offsets = sentence_shingles(norm.codes, sents, k=params.shingle_chars)
        all_keys.append(band_keys(signatures(hashes, offsets, num_perm=params.num_perm, seed=params.seed), params))
    keys = np.concatenate(all_keys)
    assert keys.shape[0] == sum(d.sentence_count for d in docs)
    probe = keys[::97]
    q, sid, hits = corpus_store.candidates(probe)
    got = {(int(a), int(b)): int(h) for a, b, h in zip(q, sid, hits)}
    assert got == brute_force_candidates(keys, np.arange(len(keys)), probe)


@settings(max_examples=300, deadline=None)
@given(keys=st.lists(st.sampled_from([-(2**63), -7, 0, 3, 2**40, 2**63 - 1]) | st.integers(-(2**63), 2**63 - 1),
                     max_size=300))
def test_segment_sort_is_numpys_stable_argsort(keys):
    """LSH segments are written in (key, sentence id) order: the fast sort must be stable."""
    from chachong.sketch.lsh import stable_argsort

    arr = np.asarray(keys, dtype=np.int64)
    assert stable_argsort(arr).tolist() == np.argsort(arr, kind="stable").tolist()
    ids = arr.view(np.uint64).astype(np.uint32)  # sentence ids, as compaction sorts them
    assert stable_argsort(ids).tolist() == np.argsort(ids, kind="stable").tolist()
