"""Everything a person reads: terminal reports (`terminal`, rich), JSON Lines (`jsonl`) and
self-contained HTML pages (`html`, with its CSS and JS in ``assets/``). Nothing here computes
findings; it only shows them."""
