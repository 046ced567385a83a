"""The paraphrase layer's keys: synonym classes, not characters, so a rewrite keeps them."""

from __future__ import annotations

import numpy as np

from chachong.model import WINDOW_FLAG
from chachong.sketch import paraphrase as layer
from chachong.sketch.minhash import signatures
from chachong.sketch.thesaurus import find_words, thesaurus
from chachong.text.normalize import normalize
from chachong.text.sentences import split_sentences

from ..conftest import CORPUS


def _postings(text: str):
    norm = normalize(text)
    return layer.paraphrase_postings(norm, split_sentences(norm))


def _sentence_keys(postings, sentence: int) -> set[int]:
    return set(postings.keys[postings.units == sentence].tolist())


def test_stop_classes_are_the_most_frequent_classes_of_the_bundled_corpus():
    counts = layer.class_frequencies([p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))])
    ranked = sorted(counts, key=lambda c: (-counts[c], c))
    assert tuple(ranked[: layer.STOP_CLASS_COUNT]) == layer.STOP_CLASSES


def _classes(text: str) -> set[str]:
    norm = normalize(text)
    table = thesaurus()
    _, classes = layer.sentence_classes(find_words(norm.codes, table), split_sentences(norm), table, layer.stop_class_ids())
    return {table.class_codes[c] for c in classes.tolist()}


def test_swapping_synonyms_and_clauses_keeps_most_classes_and_shares_keys():
    source = "加强组织领导，完善工作机制，推进乡村振兴战略实施。"
    rewrite = "健全工作机制，强化组织领导，推动乡村振兴战略实施。"  # 加强→强化, 完善→健全, 推进→推动, clauses swapped
    a, b = _classes(source), _classes(rewrite)
    # 加强/强化, 完善/健全, 推进/推动 are in stop classes (the genre's every sentence has them);
    # 健全 is also 完好 (Eb37A): polysemy costs a little, not the match
    assert b - a == {"Eb37A"} and a - b == set() and len(a & b) == 4
    assert _sentence_keys(_postings(source), 0) & _sentence_keys(_postings(rewrite), 0)
    # what the rewrite shares with an unrelated sentence of the genre is far less
    other = _classes("严格落实安全生产责任制，开展隐患排查整治。")
    assert len(other & a) / len(other | a) < 0.2 < len(a & b) / len(a | b)


def test_a_window_has_the_keys_of_its_two_sentences_union():
    text = "全面推进乡村振兴。扎实开展人居环境整治提升行动。"
    postings = _postings(text)
    windows = postings.units[postings.windows()]
    assert windows.tolist() == [WINDOW_FLAG] * layer.BANDS  # one window, the sentences' first
    norm = normalize(text)
    sents = split_sentences(norm)
    table = thesaurus()
    _, classes = layer.sentence_classes(find_words(norm.codes, table), sents, table, layer.stop_class_ids())
    union = np.unique(classes)
    sig = signatures(union.astype(np.uint32), np.array([0, union.size]), num_perm=layer.PARAMS.num_perm, seed=layer.PARAMS.seed)
    assert set(layer._keys(sig)[0].tolist()) == set(postings.keys[postings.units == WINDOW_FLAG].tolist())


def test_postings_are_sorted_by_sentence_and_a_document_keeps_its_own_windows():
    postings = _postings((CORPUS / "003_ec39d6286021c7d9.txt").read_text(encoding="utf-8")[:3000])
    sentence = postings.sentences()
    assert np.all(np.diff(sentence) >= 0) and len(postings) > 100
    last = int(sentence.max())
    inside = postings.select(0, last + 1, windows_inside=True)
    assert (last | WINDOW_FLAG) not in inside.units.tolist()
    assert inside.units.tolist() == [u for u in postings.units.tolist() if u != last | WINDOW_FLAG]
