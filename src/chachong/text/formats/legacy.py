""".doc (Word 97-2003) and .wps (WPS Office / Works) through a converter found on PATH.

No Python library reads these binary formats well, so chachong asks a program:

* **LibreOffice** (``soffice`` or ``libreoffice``), preferred: it reads .doc of every Word
  version and .wps, tables included, and saves them as .docx, which the .docx reader then
  reads, so a .doc gives the text (and the offsets) of the same document saved as .docx:
  body paragraphs and table cells, one per line, without headers, footers and footnotes.
  Several files are converted in one call (start-up, ~1 s, dominates), at most
  `BATCH_SIZE` at a time, each call with its own throw-away profile directory
  (``-env:UserInstallation``): LibreOffice fails without a writable profile (exit 77 when
  HOME is not writable), and two calls sharing one would hand their work to each other. A
  call that takes longer than `timeout_for` is killed with its process group.
* **antiword**, for .doc only when LibreOffice is missing (Word 97-2003 files; ``-w 0``
  keeps a paragraph on one line; a table comes out as rows of ``|cell|cell|``).

Without either, the file is refused with one line saying what to install, or to save the
file as .docx. Whether a .wps made by Kingsoft WPS Office reads depends on LibreOffice
(which reads WPS files saved in Word's binary form); that could not be tested here.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

BATCH_SIZE = 20
# Seconds a LibreOffice call may take: start-up (1-2 s cold) plus a generous allowance
# per file (a 100-page .doc converts in well under a second).
TIMEOUT_BASE_S = 60.0
TIMEOUT_PER_FILE_S = 10.0
# Where LibreOffice lives when it is not on PATH (its installers do not add it there).
KNOWN_SOFFICE = (
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    r"C:\Program Files\LibreOffice\program\soffice.exe",
)
# A .docx LibreOffice writes is read like any .docx (bomb checks included); this bounds
# what is read of it (the text in it is held to the caller's limit afterwards).
MAX_OUTPUT_BYTES = 64 * 1024 * 1024
INSTALL_HINT = {
    ".doc": "reading .doc needs LibreOffice (soffice) or antiword on PATH: install one "
            "(Debian/Ubuntu: apt-get install libreoffice-writer-nogui, or antiword), or save the file as .docx",
    ".wps": "reading .wps needs LibreOffice (soffice) on PATH: install it "
            "(Debian/Ubuntu: apt-get install libreoffice-writer-nogui), or save the file as .docx in WPS Office",
}


@dataclass(frozen=True, slots=True)
class Converted:
    """One converted file: its text (antiword) or .docx bytes (LibreOffice), or the problem."""

    converter: str  # "LibreOffice", "antiword"
    text: str | None = None
    docx: bytes | None = None
    problem: str | None = None


def timeout_for(files: int) -> float:
    return TIMEOUT_BASE_S + TIMEOUT_PER_FILE_S * files


def find_soffice() -> str | None:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    return next((p for p in KNOWN_SOFFICE if os.path.isfile(p)), None)


def find_antiword() -> str | None:
    return shutil.which("antiword")


def missing_converter(suffix: str) -> str | None:
    """The line telling what to install when no converter can read ``suffix``, or None."""
    if find_soffice() or (suffix == ".doc" and find_antiword()):
        return None
    return INSTALL_HINT[suffix]


def convert(files: Sequence[tuple[bytes, str]], *, max_bytes: int) -> list[Converted]:
    """Each (file bytes, suffix) converted, in order; LibreOffice in batches, else antiword.

    The bytes are converted, not the path, so the text is that of the bytes whose digest
    is stored even if the file changes meanwhile. Call `missing_converter` first.
    """
    soffice = find_soffice()
    if soffice:
        out: list[Converted] = []
        for start in range(0, len(files), BATCH_SIZE):
            out.extend(_libreoffice(soffice, files[start : start + BATCH_SIZE], max_bytes=max_bytes))
        return out
    antiword = find_antiword()
    assert antiword is not None, "missing_converter() said a converter exists"  # noqa: S101
    return [_antiword(antiword, data, max_bytes=max_bytes) for data, _ in files]


def _libreoffice(soffice: str, files: Sequence[tuple[bytes, str]], *, max_bytes: int) -> list[Converted]:
    import subprocess

    name = "LibreOffice"
    with tempfile.TemporaryDirectory(prefix="chachong-soffice-") as scratch:
        root = Path(scratch)
        inputs, outdir, profile = root / "in", root / "out", root / "profile"
        inputs.mkdir()
        # Numbered copies: two drafts may share a name, and the output is named after the input.
        paths = []
        for number, (data, suffix) in enumerate(files):
            path = inputs / f"{number:04d}{suffix}"
            path.write_bytes(data)
            paths.append(path)
        command = [
            soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
            "--nolockcheck", "--nodefault", "--nologo", "--convert-to", "docx:MS Word 2007 XML",
            "--outdir", str(outdir), *map(str, paths),
        ]
        timeout = timeout_for(len(files))
        try:
            process = subprocess.Popen(  # noqa: S603 - argv list; the program is LibreOffice from PATH
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group, so a timeout kills soffice.bin too
            )
        except OSError as exc:
            return [Converted(name, problem=f"cannot start LibreOffice ({exc.strerror or exc})")] * len(files)
        try:
            _, stderr = process.communicate(timeout=timeout)
            late = False
        except subprocess.TimeoutExpired:
            _kill_group(process)
            _, stderr = process.communicate()
            late = True
        why = _last_line(stderr)
        results = []
        for path in paths:
            output = outdir / (path.stem + ".docx")
            if output.is_file():
                results.append(_read_output(output, name))
            elif late:
                results.append(Converted(name, problem=f"LibreOffice did not finish converting it in {timeout:.0f} s"))
            else:
                detail = f": {why}" if why and process.returncode else ""
                problem = f"LibreOffice could not convert it (damaged, or not a document{detail})"
                results.append(Converted(name, problem=problem))
        return results


def _kill_group(process: object) -> None:
    import signal
    import subprocess

    assert isinstance(process, subprocess.Popen)  # noqa: S101 - narrowing for mypy
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)  # the group this call started, by its id
        else:  # pragma: no cover - Windows: no process groups; end the process itself
            process.kill()
    except ProcessLookupError:
        pass


def _read_output(path: Path, converter: str) -> Converted:
    with path.open("rb") as stream:
        data = stream.read(MAX_OUTPUT_BYTES + 1)
    if len(data) > MAX_OUTPUT_BYTES:
        return Converted(converter, problem=f"the converted document is over {MAX_OUTPUT_BYTES // 2**20} MiB")
    return Converted(converter, docx=data)


def _antiword(antiword: str, data: bytes, *, max_bytes: int) -> Converted:
    import subprocess

    name = "antiword"
    with tempfile.TemporaryDirectory(prefix="chachong-antiword-") as scratch:
        path = Path(scratch) / "input.doc"
        path.write_bytes(data)
        try:
            done = subprocess.run(  # noqa: S603 - argv list; the program is antiword from PATH
                [antiword, "-w", "0", "-m", "UTF-8.txt", str(path)],
                stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout_for(1), check=False,
            )
        except subprocess.TimeoutExpired:
            return Converted(name, problem=f"antiword did not finish in {timeout_for(1):.0f} s")
        except OSError as exc:
            return Converted(name, problem=f"cannot start antiword ({exc.strerror or exc})")
    if done.returncode != 0:
        why = _last_line(done.stderr).replace(str(path), "the file")
        return Converted(name, problem=f"antiword could not read it ({why or f'exit code {done.returncode}'})")
    if len(done.stdout) > max_bytes:
        return Converted(name, problem=f"text too large (over {max_bytes / 2**20:g} MiB): split it into smaller files")
    # antiword writes an empty line for paragraph spacing (and at the start and the end):
    # one paragraph per line, as LibreOffice's text has them.
    text = re.sub(r"\n{2,}", "\n", done.stdout.decode("utf-8", errors="replace")).strip("\r\n")
    return Converted(name, text=text)


def _last_line(stderr: bytes | None) -> str:
    """The last meaningful line a converter wrote to stderr (LibreOffice warns about Java first)."""
    lines = [
        line.strip() for line in (stderr or b"").decode("utf-8", errors="replace").splitlines()
        if line.strip() and "javaldx" not in line
    ]
    return lines[-1] if lines else ""
