"""Special files named on the command line (issue 15.4): character devices such as
/dev/zero, FIFOs and sockets are refused with one line before anything is read (opening a
FIFO would block, reading /dev/zero never ends), and reads stop at the limit whatever the
file system says of a file's size."""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

import pytest

from chachong.errors import InputError
from chachong.text import reading
from chachong.text.reading import MAX_DRAFT_BYTES, file_kind_problem, read_text

from ..fixtures_inputs import SMALL_FILE, assert_one_line_error, docs_state, file_digest

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX special files")


@pytest.fixture
def special_files(tmp_path):
    """A FIFO and a listening Unix socket (in a short directory: socket paths are limited)."""
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    short = Path(tempfile.mkdtemp(prefix="cc-"))
    sock_path = short / "s.txt"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(sock_path))
    server.listen(1)
    yield {"fifo": fifo, "socket": sock_path, "zero": Path("/dev/zero")}
    server.close()
    sock_path.unlink()
    short.rmdir()


PROBLEMS = {
    "zero": "is a character device (like /dev/zero), not a file",
    "fifo": "is a named pipe (FIFO), not a file",
    "socket": "is a socket, not a file",
}


@pytest.mark.parametrize("kind", sorted(PROBLEMS))
def test_special_file_named_to_check_or_index_is_refused(cli, small_index, special_files, kind):
    path = special_files[kind]
    before, state = file_digest(small_index), docs_state(cli, small_index)
    assert_one_line_error(cli("check", path, "--index", small_index), str(path), PROBLEMS[kind])
    assert_one_line_error(cli("index", path, "--index", small_index), str(path), PROBLEMS[kind])
    assert file_digest(small_index) == before and docs_state(cli, small_index) == state


def test_file_kind_problem_names_each_kind(special_files, tmp_path):
    assert file_kind_problem(SMALL_FILE) is None
    assert file_kind_problem(tmp_path) == "is a directory, expected a file"
    assert file_kind_problem(tmp_path / "missing.txt") == "no such file or directory"
    link = tmp_path / "dangling.txt"
    link.symlink_to(tmp_path / "gone.txt")
    assert file_kind_problem(link) == "is a broken symbolic link"
    good_link = tmp_path / "link.txt"
    good_link.symlink_to(SMALL_FILE)
    assert file_kind_problem(good_link) is None
    for kind, problem in PROBLEMS.items():
        assert file_kind_problem(special_files[kind]) == problem
    zero_link = tmp_path / "zero.txt"  # a link to a device is the device
    zero_link.symlink_to("/dev/zero")
    assert file_kind_problem(zero_link) == PROBLEMS["zero"]


def test_read_stops_at_the_limit_whatever_stat_says(monkeypatch, tmp_path):
    """A file that claims to be empty (as /proc files do) is read up to the limit plus one
    byte and refused, never read to its end."""
    path = tmp_path / "claims_empty.txt"
    path.write_bytes("很长的一行。".encode() * (4 * MAX_DRAFT_BYTES // 18))
    real_fstat, real_fdopen = os.fstat, os.fdopen
    asked: list[int] = []

    def fstat_size_zero(fd):
        result = real_fstat(fd)
        return os.stat_result((*result[:6], 0, *result[7:]))  # st_size is field 6

    class CountingReader:
        def __init__(self, stream):
            self.stream = stream

        def read(self, size=-1):
            asked.append(size)
            return self.stream.read(size)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.stream.close()

    monkeypatch.setattr(reading.os, "fstat", fstat_size_zero)
    monkeypatch.setattr(reading.os, "fdopen", lambda fd, mode: CountingReader(real_fdopen(fd, mode)))
    with pytest.raises(InputError) as caught:
        read_text(path, max_bytes=MAX_DRAFT_BYTES)
    assert caught.value.problem == "file too large (more than the limit of 1 MiB): split it into smaller files"
    assert asked == [MAX_DRAFT_BYTES + 1]
