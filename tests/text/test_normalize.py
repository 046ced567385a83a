"""The offset map: a slow reference implementation and hypothesis properties."""

from __future__ import annotations

import itertools
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chachong.text.normalize import normalize
from chachong.text.sentences import MAX_SENTENCE_CHARS, split_sentences

_BREAKS = set("\n\r\u2028\u2029\x0b\x0c\x85。！？；!?;｡")


def _t2s(ch: str) -> str:
    from chachong.text.normalize import t2s_table

    return t2s_table().get(ch, ch)


def reference_normalize(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Character-by-character statement of the normalization rules (slow, obvious)."""
    items: list[list] = []  # [char, kind, start, end]
    for i, ch in enumerate(text):
        if ch in _BREAKS:
            items.append(["\n", "B", i, i + 1])
            continue
        if ch in "DＤ":
            items.append(["D", "D", i, i + 1])
            continue
        for o in unicodedata.normalize("NFKC", ch) or ch:
            if o in _BREAKS:
                items.append(["\n", "B", i, i + 1])
            elif "0" <= o <= "9":
                items.append([o, "N", i, i + 1])
            elif o in "xX":
                items.append(["x", "X", i, i + 1])
            elif o == ".":
                items.append([".", ".", i, i + 1])
            elif o.isascii() and o.isalpha():
                items.append([o.lower(), "L", i, i + 1])
            elif unicodedata.category(o)[0] in "LNM":
                simplified = _t2s(o)
                low = simplified.lower()
                items.append([low if len(low) == 1 else simplified, "K", i, i + 1])
            else:
                items.append([o, "_", i, i + 1])
    word = {"L", "D", "X", "N"}
    kinds = [it[1] for it in items]
    for j, it in enumerate(items):
        if it[1] == "D":
            left = kinds[j - 1] if j > 0 else "B"
            right = kinds[j + 1] if j + 1 < len(items) else "B"
            if left in word or right in word:
                it[0], it[1] = "d", "L"
            else:
                it[0], it[1] = "党", "K"
    out: list[list] = []
    j = 0
    while j < len(items):
        if items[j][1] in ("N", "X", "."):
            k = j
            while k < len(items) and items[k][1] in ("N", "X", "."):
                k += 1
            run = items[j:k]
            has = any(r[1] in ("N", "X") for r in run)
            left = items[j - 1][1] if j > 0 else "B"
            right = items[k][1] if k < len(items) else "B"
            if has and left != "L" and right != "L":
                out.append(["#", "K", run[0][2], run[-1][3]])
            elif has:
                out.extend(r for r in run if r[1] != ".")
            j = k
        else:
            if items[j][1] != "_":
                out.append(items[j])
            j += 1
    final: list[list] = []
    for it in out:
        if it[1] == "B" and (not final or final[-1][1] == "B"):
            continue
        final.append(it)
    return "".join(it[0] for it in final), [(it[2], it[3]) for it in final]


ALPHABET = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所"
    "党建员支部组织思想领导新时代中国特色社会主义指导深入贯彻二十大精神县区镇乡街道"
    "XXxxDdx.0123456789０１２３４５６７８９（）()：:，,、。！？；!?;“”《》【】—…%％ 　\t\n\r"
    "ＡＢＣＤＸabcPPTExcel漢語機關黨"
)
texts = st.text(alphabet=ALPHABET, max_size=300)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_vectorized_equals_reference(text):
    norm = normalize(text)
    ref_text, ref_spans = reference_normalize(text)
    assert norm.text == ref_text
    assert list(zip(norm.starts.tolist(), norm.ends.tolist())) == ref_spans


@settings(max_examples=300, deadline=None)
@given(texts)
def test_spans_point_into_the_original_text(text):
    norm = normalize(text)
    starts, ends = norm.starts.tolist(), norm.ends.tolist()
    assert all(0 <= s < e <= len(text) for s, e in zip(starts, ends))
    assert all(a < b for a, b in itertools.pairwise(starts))  # one original place per character
    assert all(e <= s for e, s in zip(ends, starts[1:]))  # spans do not overlap
    for ch, s, e in zip(norm.text, starts, ends):
        if ch not in "#\n":
            assert e - s == 1  # a plain character maps to exactly one original character
        if ch == "#":
            assert any(c.isdigit() or c in "xX" for c in unicodedata.normalize("NFKC", text[s:e]))


@settings(max_examples=200, deadline=None)
@given(texts)
def test_sentence_round_trip(text):
    """Re-normalizing a sentence's original slice gives the same sentence: what check relies on."""
    norm = normalize(text)
    sents = split_sentences(norm, min_chars=1, max_chars=10**9)
    for a, b in zip(sents.starts.tolist(), sents.ends.tolist()):
        assert b - a <= 10**9
        lo, hi = norm.original_span(a, b)
        assert normalize(text[lo:hi]).text == norm.text[a:b]


def test_offsets_with_base():
    norm = normalize("ＸＸ县D委", base=100)
    assert norm.text == "#县党委"
    assert norm.original_span(0, 4) == (100, 105)
    assert norm.original_span(0, 1) == (100, 102)


def test_known_forms():
    assert normalize("（四）纳税服务：２０１８年").text == "四纳税服务#年"
    assert normalize("深入学习贯彻D的二十大精神").text == normalize("深入学习贯彻党的二十大精神").text
    assert normalize("购进新书x.x万册，增长XX%").text == normalize("购进新书3.5万册，增长12%").text
    assert normalize("PPT设计 Excel表格").text == "ppt设计excel表格"
    assert normalize("加強黨的領導").text == "加强党的领导"
    assert normalize("第一句。第二句！！\n\n第三句").text == "第一句\n第二句\n第三句"
    assert MAX_SENTENCE_CHARS > 100
