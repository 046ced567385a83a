"""What a distributor adds to the files it sells: ads and watermarks, never document text.

The indexer sets a line aside only when it recurs at the edges of files (`indexer`) *and* reads
as an ad or a watermark by its content. Recurrence alone is not enough: in a library holding
several reprints of one article, the article's title and first lines recur at a file's edge as
verbatim as any ad. Content alone is not enough either: a report may well mention 会员.

Ad-like: contact details (phone numbers, e-mail and web addresses, 微信/QQ/客服), the
distributor's trade (素材库, 文库, 会员, 代笔 …), notices (投稿, 仅供参考, 请勿转载 …), an address to the
reader under a brand (【…】——欢迎加入 …): one word only a distributor writes, or two kinds of these
(a report may mention 公众号 or 会员 once); and markers such as
``##paidend##``. A line shaped like a document title is never an ad.
"""

from __future__ import annotations

import re

from ..text.splitting import looks_like_title

_MARKER = re.compile(r"^#{1,}[A-Za-z0-9_\-]+#{1,}$")
# Words only a distributor writes.
_STRONG = re.compile("素材库|素材网|范文网|代笔|代写|润笔|仅供.{0,4}参考|请勿.{0,4}(?:转载|照搬|抄)")
# Kinds of evidence; a line needs two kinds (a report may mention 公众号 or 会员 once).
_KINDS = (
    re.compile(  # contact details
        r"(?<!\d)1[3-9]\d{9}(?!\d)|[\w.+-]+@[\w-]+\.[\w.]+|https?://|www\.|\.(?:com|cn|net|org)\b"
        r"|微信|vx|VX|QQ|qq|扣扣|客服|公众号|二维码|扫码"
    ),
    re.compile("文库|资料库|会员|VIP|vip|网盘|付费|下载|[每天日]+更新|持续更新|加群|进群|原创"),  # trade
    re.compile("投稿|转载|版权|侵权|免责|本文由|整理发布"),  # notices
    # a brand, an address to the reader
    re.compile(r"^[【\[][^】\]]{1,16}[】\]]|——|欢迎|添加|加入|请关注|关注公众号|更多(?:范文|资料|材料|精品|内容)"),
)
# A numbered paragraph (（一） 一、 1. 一是) is document text, whatever it mentions.
_NUMBERED = re.compile(
    r"^(?:[（(]\s*[一二三四五六七八九十百\d]+\s*[)）]|[一二三四五六七八九十百]+[、是]|\d+\s*[、.．)）])"
)


def ad_like(line: str) -> bool:
    """Whether a line (whitespace removed or not) reads as an ad or a watermark."""
    text = "".join(line.split())
    if not text:
        return False
    if _MARKER.match(text):
        return True
    if looks_like_title(text) or _NUMBERED.match(text):
        return False
    return bool(_STRONG.search(text)) or sum(bool(k.search(text)) for k in _KINDS) >= 2
