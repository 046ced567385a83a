"""The baseline: datasketch used as its README shows it (run by `chachong bench` as a child).

One ``MinHash.update`` per shingle (bytes, datasketch's default hash), one
``MinHashLSH.insert`` per sentence, with chachong's normalization and sentences so the
shingles are the same. Persisting is what its users do: pickle the LSH. We only measure
the pickle's length; nothing here ever loads a pickle.

Usage: python -m chachong.bench.baseline LIBRARY_DIR  (prints one JSON line)

It ships in the package so `chachong bench` compares with it after a plain `pip install .`.
"""

from __future__ import annotations

import json
import pickle  # only dumps: the size of what a datasketch user would store
import sys
import time
from pathlib import Path

from datasketch import MinHash, MinHashLSH

from chachong.sketch.keys import min_sentence_chars
from chachong.sketch.lsh import LshParams
from chachong.text.normalize import normalize
from chachong.text.reading import read_text
from chachong.text.sentences import split_sentences


def main(library: str) -> None:
    params = LshParams()
    k = params.shingle_chars
    t0 = time.perf_counter()
    lsh = MinHashLSH(num_perm=params.num_perm, params=(params.bands, params.rows))
    chars = n_sent = 0
    for path in sorted(Path(library).glob("*.txt")):
        text = read_text(path).text
        chars += len(text)
        norm = normalize(text)
        flat = norm.text
        sents = split_sentences(norm, min_chars=min_sentence_chars(params))
        for a, b in zip(sents.starts.tolist(), sents.ends.tolist()):
            s = flat[a:b]
            m = MinHash(num_perm=params.num_perm, seed=params.seed)
            for j in range(len(s) - k + 1):
                m.update(s[j : j + k].encode("utf-8"))
            lsh.insert(f"{path.name}:{n_sent}", m)
            n_sent += 1
    t1 = time.perf_counter()
    size = len(pickle.dumps(lsh, protocol=pickle.HIGHEST_PROTOCOL))
    t2 = time.perf_counter()
    print(json.dumps({"chars": chars, "sentences": n_sent, "index_s": t1 - t0,
                      "persist_s": t2 - t1, "bytes": size}))


if __name__ == "__main__":
    main(sys.argv[1])
