"""Drafts built from corpus passages, with the ground truth of where each passage sits."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .conftest import corpus_text

ORIGINAL_OPENING = (
    "2024年，我县档案馆在县委、县政府的领导下，围绕馆藏资源建设和利用服务两条主线开展工作。"
    "全年接收进馆档案三千二百余卷，完成民国时期档案抢救性修裱四百余页，新建档案查阅预约小程序，"
    "群众查档平均等待时间由两天缩短到半天。馆内开展“档案里的乡村记忆”主题展览两期，吸引中小学生参观一千余人次。"
)
ORIGINAL_CLOSING = (
    "回顾一年的工作，我们也看到自身的不足：档案数字化进度仍落后于全市平均水平，专业人员年龄结构偏大，"
    "库房温湿度监控设备老化。明年我们打算争取专项资金更新库房设备，与县职教中心合作培养年轻的档案修复人员，"
    "并把镇街档案室的规范化检查纳入年度考核。"
)


@dataclass(frozen=True)
class Planted:
    start: int  # span in the draft
    end: int
    doc: str  # FILE#N of the source document
    source_start: int  # span of the original passage in the source file
    source_end: int


def fill_masks(text: str) -> str:
    """What a drafter does: masks become numbers, D becomes 党."""
    counter = iter(range(10**6))
    text = re.sub(r"x\.x|[Xx]+", lambda m: str(3 + next(counter) % 97), text)
    return re.sub(r"(?<![A-Za-z])D(?![A-Za-z])", "党", text)


def reorder(text: str) -> str:
    sentences = [s for s in re.split(r"(?<=。)", text) if s]
    assert len(sentences) >= 3, text
    return "".join(sentences[1::2] + sentences[0::2])


def build(parts: list[tuple[str, str | None, int, int]]) -> tuple[str, list[Planted]]:
    """parts: (text, source doc or None, source start, source end) → draft and ground truth."""
    draft = ""
    planted: list[Planted] = []
    for text, doc, s0, s1 in parts:
        start = len(draft)
        draft += text
        if doc is not None:
            planted.append(Planted(start, len(draft), doc, s0, s1))
        draft += "\n"
    return draft, planted


def line(name: str, prefix: str) -> tuple[str, int, int]:
    text = corpus_text(name)
    start = text.index("\n" + prefix) + 1
    end = text.index("\n", start)
    return text[start:end], start, end


BANK = ("000_8b880e3bb4cd86c7.txt", "2018年，我行认真贯彻落实", "000_8b880e3bb4cd86c7.txt#1")
LIBRARY = ("004_3442f27f9ba37306.txt", "（三）城市文旅品牌新形象加速传播", "004_3442f27f9ba37306.txt#2")
PARTY = ("002_5c485a01b3fa9e27.txt", "坚持把抓实调查研究作为推动主题教育", "002_5c485a01b3fa9e27.txt#2")


def sample_draft() -> tuple[str, list[Planted]]:
    """Original paragraphs around three copied passages: verbatim, masks filled in, reordered."""
    bank, b0, b1 = line(*BANK[:2])
    library, l0, l1 = line(*LIBRARY[:2])
    party, p0, p1 = line(*PARTY[:2])
    return build([
        (ORIGINAL_OPENING, None, 0, 0),
        (library, LIBRARY[2], l0, l1),  # verbatim
        (fill_masks(bank), BANK[2], b0, b1),  # masks filled in with numbers
        (ORIGINAL_CLOSING, None, 0, 0),
        (reorder(fill_masks(party)), PARTY[2], p0, p1),  # 党 for D, sentences reordered
    ])
