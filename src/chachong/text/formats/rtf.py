""".rtf through striprtf (BSD-3-Clause, pure Python, no dependencies, maintained since 2016).

striprtf follows the code page the file declares (``\\ansicpg936`` for GBK) and the
Unicode escapes Word, WPS and LibreOffice write for Chinese (``\\u20013?``), and skips
embedded pictures. Its text has one paragraph per line (``\\par``), as the .docx reader's.
"""

from __future__ import annotations

from collections.abc import Callable

from ...errors import InputError


def rtf_text(data: bytes, *, path: object, decode: Callable[[bytes], str]) -> str:
    """The text of an RTF file; `InputError` if it is not RTF.

    ``decode``: how a text file's bytes are decoded (`reading.decode_bytes`), for RTF
    written with raw 8-bit bytes.
    """
    from striprtf.striprtf import rtf_to_text as untyped_rtf_to_text

    rtf_to_text: Callable[..., str] = untyped_rtf_to_text

    if not data.lstrip().startswith(b"{\\rtf"):
        raise InputError("not a valid .rtf file (it does not begin with {\\rtf)", path=path)
    try:
        source = data.decode("ascii")
    except UnicodeDecodeError:
        # RTF is 7-bit by design, but some programs write the code page's bytes raw
        # (GBK, UTF-8): decode the whole file in its own encoding, as a text file is.
        source = decode(data)
    try:
        text = rtf_to_text(source, errors="replace")
    except (ValueError, LookupError, IndexError) as exc:  # a malformed control word or code page
        raise InputError(f"not a valid .rtf file ({type(exc).__name__}: {exc})", path=path) from None
    return text.rstrip("\n")
