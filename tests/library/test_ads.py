"""Distributor lines: what reads as an ad or a watermark, and nothing else."""

from __future__ import annotations

import pytest

from chachong.library.ads import ad_like

from ..conftest import CORPUS


@pytest.mark.parametrize("line", [
    "【哒哒素材库】——每天更新材料1000多篇内部高质量素材，会员群+网盘群同步每日更新，一键精准搜索",
    "欢迎加入“哒哒素材库svip会员”，9000万字材料，轻松解决您的各类素材需求！添加客服：cwk",
    "【哒哒代笔】——原创高质量保障、高度保密，各类代笔（润笔），好评如潮！",
    "##paidend##",
    "本文系邮箱投稿，仅供学习参考，请勿照搬照抄！",
    "更多范文请关注公众号“公文小站”，客服微信：gw2024",
    "声明：本文由公文素材网整理发布，如有侵权请联系删除。",
])
def test_ads_and_watermarks_read_as_ads(line):
    assert ad_like(line)


@pytest.mark.parametrize("line", [
    "县政府2018年工作总结暨2019年工作谋划",  # a title, recurring at the top of every reprint
    "一、2018年工作情况",
    "（二）税收职能作用有效发挥。一是税收收入平稳增长。",
    # Reports mention 公众号, 微信, 会员, 付费 — once, in document prose:
    "（2）开展了“世界无烟日”宣传工作。主要形式有：主题班会、手抄报、学校公众号推送。",
    "紧密配合学校党政领导，发挥工会的特色和优势，认真组织全体会员深入学习“二十大精神”。",
    "4.推进DIP支付方式改革。目前全县46家定点医疗机构全部开展DIP实际付费。",
    "通过微信公众号、政务网站发布政策解读文章二十余篇。",
])
def test_document_text_does_not_read_as_an_ad(line):
    assert not ad_like(line)


def test_in_the_corpus_only_the_distributor_lines_read_as_ads():
    found = {line.strip() for p in CORPUS.glob("*.txt") for line in p.read_text(encoding="utf-8").splitlines()
             if ad_like(line)}
    assert len(found) == 5 and all(
        any(w in line for w in ("素材库", "代笔", "paidend", "投稿")) for line in found
    ), found
