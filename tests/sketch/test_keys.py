"""One sentence-keys function for the indexer, check and pairs (they used to drift apart)."""

from __future__ import annotations

import numpy as np
import pytest

from chachong import check_text, index_paths, open_index
from chachong.sketch.keys import min_sentence_chars, sentence_keys
from chachong.sketch.lsh import LshParams
from chachong.text.normalize import normalize

from ..conftest import CORPUS, corpus_text


def test_every_sentence_is_at_least_one_shingle_long():
    params = LshParams(shingle_chars=8)
    # "一、总体情况" and "二、工作措施。" normalize to 5 and 6 characters: shorter than a shingle.
    norm = normalize("一、总体情况\n二、工作措施。深入开展调查研究，推动主题教育走深走实。")
    sents, keys = sentence_keys(norm, params)
    assert min_sentence_chars(params) == 8
    assert (sents.ends - sents.starts).tolist() == [18]
    assert keys.shape == (1, params.bands) and keys.dtype == np.int64


@pytest.mark.parametrize("shingle_chars", [3, 8])
def test_index_with_other_lsh_params_builds_and_checks(tmp_path, shingle_chars):
    """An index created with non-default LshParams (e.g. 8-character shingles) used to fail
    with "sentence shorter than the shingle size": the indexer cut sentences of 6 characters
    and more, check and pairs of max(6, shingle) and more."""
    params = LshParams(shingle_chars=shingle_chars)
    source = CORPUS / "003_ec39d6286021c7d9.txt"
    with open_index(tmp_path / "i.sqlite", create=True, params=params) as index:
        report = index_paths(index, [source])
        assert report.documents == 1 and report.sentences > 100
        assert index.params == params
        text = corpus_text(source.name)
        start = text.index("\n", 2000) + 1
        passage = text[start : text.index("\n", start + 200)]
        result = check_text(index, "今年我们的工作有了新的起色。\n" + passage + "\n", file="draft.txt")
    [copy] = result.copies
    assert copy.source.doc == "003_ec39d6286021c7d9.txt#1"
    # The span starts and ends on copied characters: after "（" of "（六）", before the last "。".
    assert passage.startswith("（六）")
    assert copy.text == passage[1:].rstrip("。")
    assert (copy.source.start, copy.source.end) == (start + 1, start + len(passage.rstrip("。")))
