"""The text transformations of the evaluation's copy kinds (used by eval_generate.py).

Each takes the copied source text (one passage: sentences of one paragraph, each closed by a
sentence mark) and returns what the drafter's copy looks like:

* ``obfuscate_masks`` (kind ``masks``; also the first step of ``paraphrase`` and ``retarget``):
  template masks filled (XX → numbers or place names, x.x → a decimal), years moved on by
  one, D written 党 again, place levels swapped (县委 ↔ 区委, 全镇 → 全乡 …);
* ``obfuscate_light`` (kind ``light``): one interior clause dropped, up to three swaps from a
  20-pair table, filler words (进一步, 切实 …) inserted before one or two verbs;
* ``paraphrase`` (kinds ``paraphrase30/40/50``): what a 降重 tool does — masks filled, one
  clause dropped, two neighbouring clauses of a sentence swapped around their comma, then
  the asked share (30/40/50 %) of the remaining content words (jieba words that are not
  function words, eval_synonyms.FUNCTION_WORDS) replaced from eval_synonyms' table, and a
  connective (同时，此外，与此同时 …) put before one or two sentences after the first;
* ``retarget`` (kind ``retarget``): a paragraph taken over for another office — agencies
  renamed (审计局 → 统计局 …), masks filled / places and years changed as in
  ``obfuscate_masks``, and about half of the sentences converted to traditional characters
  with OpenCC (s2t), as text pasted from a Hong Kong / Taiwan source or a converter left it;
* ``split_sentence`` / ``merge_sentences`` (kind ``restructure``): one long sentence cut at a
  comma into two sentences, or two short consecutive sentences joined into one (。→，).

All randomness comes from the ``random.Random`` passed in, so a seed gives the same drafts.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache

from eval_baseline import content_chars
from eval_synonyms import CONNECTIVES, alternatives, is_content_word

SENTENCE = re.compile(r"[^。！？；!?;]*[。！？；!?;]|[^。！？；!?;]+$")
ENDS = "。！？；!?;"
ENUMERATOR = re.compile(r"\s*[（(]?[一二三四五六七八九十\d]+[）)、.．]|\s*[一二三四五六七八九十]是")
_PAIRS = ("“”", "（）", "()", "《》", "【】", "‘’")


def balanced(text: str) -> bool:
    """No quotation mark or bracket opened and not closed (or closed and not opened):
    a piece cut at a comma inside a quotation is not a clause."""
    for a, b in _PAIRS:
        depth = 0
        for ch in text:
            depth += (ch == a) - (ch == b)
            if depth < 0:
                return False
        if depth:
            return False
    return True

# ---------------------------------------------------------------- masks

PLACE_SWAPS = {
    "县委": "区委", "县政府": "区政府", "全县": "全区", "我县": "我区", "县级": "区级", "本县": "本区",
    "区委": "县委", "区政府": "县政府", "全区": "全县", "我区": "我县", "区级": "县级", "本区": "本县",
    "全镇": "全乡", "我镇": "我乡", "镇党委": "乡党委", "镇政府": "乡政府", "全乡": "全镇", "乡党委": "镇党委",
}
PLACE_NAMES = ("清河", "东阳", "柳林", "石门", "安平", "青山", "永和", "白沙")
PLACE_AFTER = ("镇", "县", "区", "村", "乡", "街道", "市", "社区", "中学", "小学")
_PLACE_RE = re.compile("|".join(sorted(PLACE_SWAPS, key=len, reverse=True)))
_MASK_RE = re.compile(r"x\.x|X\.X|(?<![A-Za-z])[Xx]+(?![A-Za-z])")
_YEAR_RE = re.compile(r"20(1[5-9]|2[0-5])(?=年|$|[^0-9])")
_D_RE = re.compile(r"(?<![A-Za-z])D(?![A-Za-z])")


def obfuscate_masks(text: str, rng: random.Random) -> str:
    def fill(m: re.Match) -> str:
        if "." in m.group():
            return f"{rng.randint(1, 9)}.{rng.randint(1, 9)}"
        after = text[m.end() : m.end() + 2]
        if any(after.startswith(p) for p in PLACE_AFTER):
            return rng.choice(PLACE_NAMES)
        return str(rng.randint(2, 98))

    text = _MASK_RE.sub(fill, text)
    text = _YEAR_RE.sub(lambda m: str(int(m.group()) + 1), text)
    text = _D_RE.sub("党", text)
    return _PLACE_RE.sub(lambda m: PLACE_SWAPS[m.group()], text)


def mask_changes(text: str) -> int:
    """How many places obfuscate_masks would change (to prefer passages it applies to)."""
    return sum(len(r.findall(text)) for r in (_MASK_RE, _YEAR_RE, _D_RE, _PLACE_RE))


# ---------------------------------------------------------------- light edits

SYNONYMS = (
    ("加强", "强化"), ("推进", "推动"), ("落实", "贯彻"), ("提升", "提高"), ("完善", "健全"),
    ("积极", "主动"), ("确保", "保证"), ("开展", "组织"), ("认真", "扎实"), ("不断", "持续"),
    ("群众", "老百姓"), ("目前", "当前"), ("同时", "此外"), ("有效", "切实"), ("全面", "全方位"),
    ("重点", "关键"), ("工作人员", "干部职工"), ("召开", "举行"), ("组织", "安排"), ("明显", "显著"),
)
FILLERS = ("进一步", "切实", "扎实", "持续", "不断")
FILLER_BEFORE = ("加强", "推进", "落实", "提升", "做好", "开展", "完善", "推动", "强化", "提高", "优化", "规范")


def words(text: str) -> list[tuple[str, int, int]]:
    # jieba's word boundaries keep a swap from hitting the middle of a word
    # (目前 inside 项目前期 is not the word 目前).
    import jieba

    jieba.setLogLevel(60)
    return list(jieba.tokenize(text))


def _clauses(sentence: str) -> list[str]:
    return re.split(r"(?<=[，,])", sentence)


def _drop_options(sentences: list[str], share: float) -> list[tuple[int, int]]:
    """(sentence, clause) pairs: interior clauses of sentences with 3+ clauses, at most
    ``share`` of their sentence."""
    return [
        (i, n) for i, s in enumerate(sentences)
        for n, c in enumerate(_clauses(s)[1:-1], start=1)
        if len(re.findall("[，,]", s)) >= 2 and len(c) <= share * len(s)
    ]


def _drop(sentences: list[str], i: int, n: int) -> None:
    sentences[i] = "".join(c for k, c in enumerate(_clauses(sentences[i])) if k != n)


def obfuscate_light(text: str, rng: random.Random) -> str:
    # 1. drop one interior clause (at most 40 % of its sentence) of a sentence with 3+ clauses
    sentences = SENTENCE.findall(text)
    options = _drop_options(sentences, 0.4)
    if options:
        _drop(sentences, *rng.choice(options))
        text = "".join(sentences)
    # 2. up to three synonym swaps of whole words
    table = dict(SYNONYMS)
    spots = [(a, b, table[w]) for w, a, b in words(text) if w in table]
    for a, b, new in sorted(rng.sample(spots, min(3, len(spots))), reverse=True):
        text = text[:a] + new + text[b:]
    # 3. one or two filler words before verbs not already preceded by one
    verbs = [a for w, a, _ in words(text)
             if w in FILLER_BEFORE and not any(text[:a].endswith(f) for f in FILLERS)]
    for pos in sorted(rng.sample(verbs, min(len(verbs), rng.randint(1, 2))), reverse=True):
        text = text[:pos] + rng.choice(FILLERS) + text[pos:]
    return text


# ---------------------------------------------------------------- paraphrase (降重)

MIN_CONTENT_WORDS = 12  # so that round(rate · n) / n is within 0.05 of the rate


@dataclass(frozen=True, slots=True)
class Paraphrase:
    text: str
    swaps: tuple[tuple[str, str], ...]  # (old word, new word), in text order
    content_words: int  # content words of the text the swaps were drawn from
    dropped: str  # the dropped clause
    connectives: tuple[str, ...]

    @property
    def swap_share(self) -> float:
        return len(self.swaps) / self.content_words


def _swap_clauses(sentence: str, i: int) -> str:
    """Clauses i and i+1 (split at commas) exchanged; the sentence mark stays at the end."""
    end = sentence[-1] if sentence and sentence[-1] in ENDS else ""
    body = sentence[: len(sentence) - len(end)]
    parts = re.split(r"[，,]", body)
    parts[i], parts[i + 1] = parts[i + 1], parts[i]
    return "，".join(parts) + end


def _swappable(sentence: str) -> list[int]:
    end = 1 if sentence and sentence[-1] in ENDS else 0
    parts = re.split(r"[，,]", sentence[: len(sentence) - end])
    return [i for i in range(len(parts) - 1)
            if len(content_chars(parts[i])[0]) >= 4 and len(content_chars(parts[i + 1])[0]) >= 4]


def paraphrase(text: str, rate: float, rng: random.Random) -> Paraphrase | None:
    """The passage run through a rewriting tool, swapping ``rate`` of its content words;
    None when the passage does not allow it (no clause to drop or swap, too few content
    words, or fewer swappable words than the rate asks for)."""
    sentences = SENTENCE.findall(obfuscate_masks(text, rng))
    if len(sentences) < 2:
        return None
    # 1. one clause dropped (interior, at most 45 % of its sentence)
    options = _drop_options(sentences, 0.45)
    if not options:
        return None
    i, n = rng.choice(options)
    dropped = _clauses(sentences[i])[n]
    _drop(sentences, i, n)
    # 2. two neighbouring clauses of one sentence exchanged around their comma
    swappable = [(k, j) for k, s in enumerate(sentences) for j in _swappable(s)]
    if not swappable:
        return None
    k, j = rng.choice(swappable)
    sentences[k] = _swap_clauses(sentences[k], j)
    out = "".join(sentences)
    # 3. the asked share of the content words swapped for words of the table
    table = alternatives()
    tokens = [(w, a, b) for w, a, b in words(out) if is_content_word(w)]
    need = round(rate * len(tokens))
    spots = [(w, a, b) for w, a, b in tokens if w in table]
    if len(tokens) < MIN_CONTENT_WORDS or len(spots) < need:
        return None
    chosen = sorted(rng.sample(spots, need), key=lambda t: t[1])
    swaps = [(w, rng.choice(table[w])) for w, _, _ in chosen]
    for (_w, a, b), (_, new) in zip(reversed(chosen), reversed(swaps)):
        out = out[:a] + new + out[b:]
    # 4. connectives before one or two sentences after the first
    sentences = SENTENCE.findall(out)
    spots = [k for k in range(1, len(sentences))
             if not sentences[k].startswith(tuple(c[:2] for c in CONNECTIVES)) and not ENUMERATOR.match(sentences[k])]
    added = []
    for k in sorted(rng.sample(spots, min(len(spots), rng.randint(1, 2)))):
        c = rng.choice(CONNECTIVES)
        sentences[k] = c + sentences[k]
        added.append(c)
    return Paraphrase("".join(sentences), tuple(swaps), len(tokens), dropped, tuple(added))


# ---------------------------------------------------------------- retarget

AGENCIES = (
    "文化和旅游局", "文旅局", "教育局", "教体局", "财政局", "民政局", "卫生健康委", "卫健委", "卫生健康局",
    "人力资源和社会保障局", "人社局", "公安局", "税务局", "林业局", "水利局", "农业农村局", "交通运输局",
    "市场监督管理局", "市场监管局", "审计局", "统计局", "自然资源和规划局", "自然资源局", "生态环境局",
    "生态环境分局", "商务局", "应急管理局", "发展和改革委员会", "发改委", "科技局", "司法局",
    "医疗保障局", "医保局", "住房和城乡建设局", "住建局", "城市管理局", "退役军人事务局", "信访局",
    "数据资源局", "档案馆", "供销社", "农商银行", "行政审批局", "残联", "妇联", "总工会",
)
_AGENCY_RE = re.compile("|".join(sorted(AGENCIES, key=len, reverse=True)))


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("s2t")


def to_traditional(text: str) -> str:
    return _converter().convert(text)


def retarget_changes(text: str) -> int:
    """How many of agency, place and year a retarget would rename (0–3)."""
    return (bool(_AGENCY_RE.search(text)) + bool(_YEAR_RE.search(text))
            + bool(_PLACE_RE.search(text) or re.search(r"[Xx]+(?=" + "|".join(PLACE_AFTER) + ")", text)))


def retarget(text: str, rng: random.Random) -> tuple[str, str]:
    """(the paragraph renamed for another office, a note of what changed)."""
    agencies = sorted(set(_AGENCY_RE.findall(text)))
    mapping = {a: rng.choice([b for b in AGENCIES if b != a and b not in agencies]) for a in agencies}
    text = _AGENCY_RE.sub(lambda m: mapping[m.group()], text)
    text = obfuscate_masks(text, rng)
    sentences = SENTENCE.findall(text)
    k = max(1, round(len(sentences) / 2))
    chosen = set(rng.sample(range(len(sentences)), k))
    text = "".join(to_traditional(s) if n in chosen else s for n, s in enumerate(sentences))
    note = f"agencies {len(agencies)}, traditional {k}/{len(sentences)} sentences"
    return text, note


# ---------------------------------------------------------------- restructure

SPLIT_MIN = 15  # content characters on each side of the cut
MERGE_MAX = 40  # content characters of each merged sentence


def split_points(sentence: str) -> list[int]:
    """Offsets of the commas a sentence can be cut at (SPLIT_MIN content characters each side)."""
    return [m.start() for m in re.finditer("[，,]", sentence)
            if balanced(sentence[: m.start()])
            and len(content_chars(sentence[: m.start()])[0]) >= SPLIT_MIN
            and len(content_chars(sentence[m.end():])[0]) >= SPLIT_MIN]


def split_sentence(sentence: str, rng: random.Random) -> str:
    """One sentence cut at one of its commas into two: 'A，B。' → 'A。B。'."""
    cut = rng.choice(split_points(sentence))
    return sentence[:cut] + "。" + sentence[cut + 1:]


def merge_sentences(first: str, second: str) -> str:
    """Two sentences joined into one: 'A。' + 'B。' → 'A，B。'."""
    return first.rstrip().rstrip(ENDS) + "，" + second
