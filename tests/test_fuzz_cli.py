"""The command line on random drafts (issue 15, "a CLI fuzz property"): CJK, emoji, combining
marks, right-to-left scripts, control characters, bidi overrides, bytes that are not UTF-8
(lone surrogates written with surrogateescape), mixed with copied corpus sentences.

Whatever the draft: exit 0, 1 or 2 only (never a traceback); on 0 the JSON parses and every
passage is a non-empty span ``0 <= start < end <= len(text)`` of the draft as decoded, that
begins and ends on a character that is neither whitespace nor punctuation.
"""

from __future__ import annotations

import json
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chachong.text.reading import read_text

from .conftest import corpus_text

_COPIED = [line for line in corpus_text("004_3442f27f9ba37306.txt").splitlines() if len(line) > 30][:40]

_PIECES = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=30),  # CJK
    st.text(alphabet="，。、；：？！“”（）《》…—　 \n\t", min_size=1, max_size=5),  # punctuation, spaces
    st.text(alphabet=st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF), max_size=4),  # emoji
    st.text(alphabet="\u0300\u0301\u0302\u0308\u20dd\u200d\ufe0f", max_size=4),  # combining marks, ZWJ
    st.text(alphabet=st.characters(min_codepoint=0x05D0, max_codepoint=0x05EA), max_size=8),  # Hebrew
    st.text(alphabet=st.characters(min_codepoint=0x0627, max_codepoint=0x064A), max_size=8),  # Arabic
    st.text(alphabet="\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\x9b\u2028\u2029\u202a\u202e\u2066\u2069\ufeff",
            max_size=4),  # control characters, bidi controls
    st.text(alphabet=st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF), max_size=3),  # undecodable bytes
    st.sampled_from(_COPIED),  # a copied sentence, so there is something to find
    st.text(max_size=10),  # anything at all
)


def _ordinary(ch: str) -> bool:
    return not ch.isspace() and not unicodedata.category(ch).startswith("P")


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(parts=st.lists(_PIECES, min_size=1, max_size=12))
def test_random_drafts_give_exit_0_1_or_2_and_valid_spans(cli, corpus_index_path, tmp_path_factory, parts):
    draft = tmp_path_factory.mktemp("fuzz") / "draft.txt"
    draft.write_bytes("".join(parts).encode("utf-8", "surrogateescape"))
    out = cli("check", draft, "--json", "--fail-over", "0.5", "--index", corpus_index_path)
    assert out.code in (0, 1, 2), out.stderr
    assert "Traceback" not in out.stderr
    if out.code == 2:  # refused (not text, empty …): one line naming the file, nothing on stdout
        assert out.stdout == "" and out.stderr.count("\n") == 1 and str(draft) in out.stderr, out.stderr
        return
    row = json.loads(out.stdout)
    text = read_text(draft).text
    assert row["chars"] == len(text)
    for p in row["passages"]:
        assert 0 <= p["start"] < p["end"] <= len(text), p
        span = text[p["start"] : p["end"]]
        assert _ordinary(span[0]) and _ordinary(span[-1]), (p, span)
    # The terminal report of the same draft renders too.
    terminal = cli("check", draft, "--index", corpus_index_path)
    assert terminal.code in (0, 1) and "Traceback" not in terminal.stderr
