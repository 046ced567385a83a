"""The library's scope holds for what every layer finds: a clause (the fragment layer) and a
rewrite (the paraphrase layer) name one document per work, with its reprints, and excluded
documents are never their source, neither directly nor through a reprint."""

from __future__ import annotations

import pytest

from chachong.indexer import index_paths
from chachong.match.check import CheckOptions, check_text
from chachong.store import open_store
from chachong.text.reading import read_text

from ..conftest import CORPUS, corpus_text
from ..drafts import ORIGINAL_CLOSING, ORIGINAL_OPENING
from ..match.test_check import ISSUE_CLAUSE, PARAPHRASE, PARAPHRASE_SOURCE

SOURCE_FILE = "002_5c485a01b3fa9e27.txt"
SOURCE_DOC = f"{SOURCE_FILE}#1"
# A clause of a long source sentence embedded in the drafter's own sentence (with 党 for D), and
# a 降重 rewrite of two source sentences: neither is found by the sentence layer.
DRAFTS = {
    "clause": (ORIGINAL_OPENING + f"\n今年我们在全县中小学{ISSUE_CLAUSE.replace('D', '党')}，覆盖师生两万余人。\n"
               + ORIGINAL_CLOSING, "verbatim"),
    "paraphrase": (ORIGINAL_OPENING + "\n" + PARAPHRASE + "\n" + ORIGINAL_CLOSING, "paraphrase"),
}


def _found(result) -> list[tuple[str, int, int, str, int]]:
    return [(p.source.doc, p.start, p.end, p.match, p.source.reprints) for p in result.copies]


def _stock(result) -> list[tuple[int, int, int]]:
    return [(b.start, b.end, b.common_to) for b in result.boilerplate]


@pytest.fixture(scope="module")
def corpus_results(corpus_index_path) -> dict[str, list]:
    with open_store(corpus_index_path) as corpus:
        results = {kind: check_text(corpus, draft) for kind, (draft, _) in DRAFTS.items()}
    return {kind: _found(r) for kind, r in results.items()} | {f"{kind}-stock": _stock(r) for kind, r in results.items()}


def test_the_drafts_are_found_by_the_fragment_and_paraphrase_layers(corpus_results):
    assert ISSUE_CLAUSE in corpus_text(SOURCE_FILE) and PARAPHRASE_SOURCE in corpus_text(SOURCE_FILE)
    for kind, (_, match) in DRAFTS.items():
        [(doc, _, _, how, reprints)] = corpus_results[kind]
        assert (doc, how, reprints) == (SOURCE_DOC, match, 0), kind


@pytest.mark.parametrize("kind", sorted(DRAFTS))
def test_a_clause_or_a_rewrite_names_one_reprint_of_its_work(reprint_location, corpus_results, kind):
    """On the corpus plus four reprints of every file the source is one document of its work
    (the corpus one, naming it: the copied text is the same in all five) with its four reprints,
    at the spans and of the kind found against the corpus alone — not five sources, and not stock
    phrasing "common to" five documents."""
    draft, _ = DRAFTS[kind]
    with open_store(reprint_location) as store:
        result = check_text(store, draft)
    assert _found(result) == [(f"corpus/{doc}", start, end, how, 4) for doc, start, end, how, _ in corpus_results[kind]]
    assert [s.source.doc for s in result.sources] == [f"corpus/{SOURCE_DOC}"]
    assert _stock(result) == corpus_results[f"{kind}-stock"]  # stock phrasing counts works


@pytest.mark.parametrize("kind", sorted(DRAFTS))
def test_an_excluded_work_is_no_source_of_a_clause_or_a_rewrite(reprint_location, kind):
    """Excluding the corpus document excludes its work: no reprint is reported in its place
    (stock phrasing set above the work's five documents, so that it is the exclusion, not the
    five copies, that keeps them out)."""
    draft, _ = DRAFTS[kind]
    options = CheckOptions(common_docs=6)
    with open_store(reprint_location) as store:
        assert [p.source.doc for p in check_text(store, draft, options=options).copies] == [f"corpus/{SOURCE_DOC}"]
        result = check_text(store, draft, options=options, exclude=[f"corpus/{SOURCE_DOC}"])
    assert result.copies == () and result.copy_ratio == 0.0
    assert result.excluded == (f"corpus/{SOURCE_DOC}",)


@pytest.mark.parametrize("kind", sorted(DRAFTS))
def test_exclusions_and_the_draft_itself_hold_for_clauses_and_rewrites(index_location, tmp_path, kind):
    draft, match = DRAFTS[kind]
    with open_store(index_location, create=True) as store:
        index_paths(store, [CORPUS])
        assert [(p.source.doc, p.match) for p in check_text(store, draft).copies] == [(SOURCE_DOC, match)]
        for exclude in (SOURCE_DOC, SOURCE_FILE, "library"):  # a document, a file, a collection
            assert check_text(store, draft, exclude=[exclude]).copies == (), exclude
        # The source file checked as a draft is not matched against itself (nor, then, are its
        # clauses and rewrites of itself found in it).
        source = read_text(CORPUS / SOURCE_FILE)
        result = check_text(store, source.text, sha256=source.sha256)
        assert [s.doc for s in result.skipped_sources] == [f"{SOURCE_FILE}#{n}" for n in range(1, 18)]
        assert all(not p.source.file.endswith(SOURCE_FILE) for p in result.copies)


def test_a_removed_document_is_no_source_of_a_clause_or_a_rewrite(index_location):
    """Its postings stay in the layers until a merge (SQLite) or a vacuum (Redis), unreachable."""
    with open_store(index_location, create=True) as store:
        index_paths(store, [CORPUS])
        store.remove(documents=[d.id for d in store.documents() if d.name == SOURCE_DOC])
        assert SOURCE_DOC not in {d.name for d in store.documents()}
        for kind, (draft, _) in DRAFTS.items():
            assert check_text(store, draft).copies == (), kind
