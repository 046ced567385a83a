"""Document identities: files with the same name in different folders stay different sources."""

from __future__ import annotations

import json

import pytest

from chachong.library.naming import choose_name
from chachong.store import open_store

from ..conftest import fresh_redis_url
from ..drafts import ORIGINAL_CLOSING, ORIGINAL_OPENING
from ..fixtures_inputs import assert_one_line_error

A_TITLE = "文化和旅游局2023年工作总结和2024年工作打算"
B_TITLE = "2018年工作总结（银行）"


def _opening(text: str, chars: int) -> str:
    """The opening of a document's body (not its title), whole sentences, about ``chars`` characters."""
    body = "\n".join(ln for ln in text.splitlines()[1:] if ln.strip())
    return body[: body.index("。", chars) + 1]


@pytest.fixture
def same_names(tmp_path, corpus_index_path):
    """lib/2023/工作总结.txt and lib/2024/工作总结.txt (two different corpus documents), and a
    draft: two original paragraphs (~30 % of it) and about as much copied from each file."""
    with open_store(corpus_index_path) as corpus:
        docs = {d.title: d.text for d in corpus.documents()}
    lib = tmp_path / "lib"
    for year, title in (("2023", A_TITLE), ("2024", B_TITLE)):
        (lib / year).mkdir(parents=True)
        (lib / year / "工作总结.txt").write_text(docs[title], encoding="utf-8")
    draft = tmp_path / "draft.txt"
    size = len(ORIGINAL_OPENING + ORIGINAL_CLOSING)
    draft.write_text("\n".join([ORIGINAL_OPENING, _opening(docs[A_TITLE], size), _opening(docs[B_TITLE], size),
                                ORIGINAL_CLOSING]), encoding="utf-8")
    return lib, draft


def test_same_file_name_in_two_folders_is_two_sources(cli, index_location, same_names):
    lib, draft = same_names
    assert cli("index", lib, "--index", index_location).code == 0
    docs = [json.loads(line) for line in cli("docs", "--json", "--index", index_location).stdout.splitlines()]
    assert [(d["doc"], d["title"]) for d in docs] == [("2023/工作总结.txt#1", A_TITLE), ("2024/工作总结.txt#1", B_TITLE)]
    out = cli("check", draft, "--json", "--index", index_location)
    assert out.code == 0, out.stderr
    row = json.loads(out.stdout)
    shares = {s["doc"]: s["share"] for s in row["sources"]}
    assert set(shares) == {"2023/工作总结.txt#1", "2024/工作总结.txt#1"}
    # Not one source of ~70 %: two of ~35 % each (the same names used to merge them into one).
    assert all(0.28 <= s <= 0.42 for s in shares.values()), shares
    assert row["max_source_share"] == max(shares.values()) == pytest.approx(0.35, abs=0.05)
    assert row["copy_ratio"] == pytest.approx(sum(shares.values()), abs=0.01)
    files = {s["doc"]: s["file"] for s in row["sources"]}
    assert files["2023/工作总结.txt#1"].endswith("2023/工作总结.txt")
    assert files["2024/工作总结.txt#1"].endswith("2024/工作总结.txt")
    # The identity is what `remove` takes, too: one of the two goes, the other stays.
    assert cli("remove", "2024/工作总结.txt#1", "--index", index_location).code == 0
    row = json.loads(cli("check", draft, "--json", "--index", index_location).stdout)
    assert [s["doc"] for s in row["sources"]] == ["2023/工作总结.txt#1"]


def test_files_named_on_the_command_line_keep_unique_names(cli, index_location, same_names):
    lib, _ = same_names
    for year in ("2023", "2024"):
        out = cli("index", lib / year / "工作总结.txt", "--index", index_location)
        assert out.code == 0, out.stderr
    docs = [json.loads(line)["doc"] for line in cli("docs", "--json", "--index", index_location).stdout.splitlines()]
    assert docs == ["工作总结.txt#1", "2024/工作总结.txt#1"]  # the second one is named by its folder too
    # Indexed again (changed): it keeps its name.
    (lib / "2024" / "工作总结.txt").write_text("2024年工作总结\n\n今年我们认真开展了各项工作，取得了明显成效。\n", encoding="utf-8")
    assert cli("index", lib, "--index", index_location).code == 0
    docs = [json.loads(line)["doc"] for line in cli("docs", "--json", "--index", index_location).stdout.splitlines()]
    assert docs == ["工作总结.txt#1", "2024/工作总结.txt#1"]


def test_a_name_is_chosen_unique():
    taken = {"工作总结.txt": "/a/2023/工作总结.txt", "2024/工作总结.txt": "/b/2024/工作总结.txt"}
    assert choose_name("工作总结.txt", "/a/2023/工作总结.txt", taken) == "工作总结.txt"  # its own
    assert choose_name("工作总结.txt", "/c/2024/工作总结.txt", taken) == "c/2024/工作总结.txt"
    assert choose_name("2024/工作总结.txt", "/c/2024/工作总结.txt", taken) == "c/2024/工作总结.txt"
    digest = choose_name("工作总结.txt", "/工作总结.txt", {"工作总结.txt": "/x/工作总结.txt"})
    assert digest.startswith("工作总结.txt~") and len(digest) == len("工作总结.txt~") + 8


def test_an_index_of_the_old_form_is_refused_on_redis(cli, redis_server, same_names):
    url = fresh_redis_url(redis_server)
    lib, draft = same_names
    assert cli("index", lib, "--index", url).code == 0
    prefix = url.split("prefix=", 1)[1].split("&", 1)[0]
    redis_server.client().hset(f"{{{prefix}}}:meta", "schema_version", "redis-1")
    for args in (("check", draft), ("docs",), ("remove", "2023/工作总结.txt#1"), ("index", lib)):
        out = cli(*args, "--index", url)
        assert_one_line_error(out, "redis://", "index written by an incompatible version (schema redis-1, this "
                                               f"chachong reads schema redis-3); rebuild it with: chachong index "
                                               f"--index {url} PATH, once its keys are deleted")
