"""Everything a person reads: terminal reports (`terminal`, rich), JSON Lines (`jsonl`) and
self-contained HTML pages (`html`, with its CSS and JS in ``assets/``); `format` holds what the
terminal and HTML reports share. Nothing here computes findings; it only shows them."""
