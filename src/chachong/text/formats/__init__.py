"""Readers for document formats, one module per format; `chachong.text.reading` dispatches.

Each reader turns a file's bytes into the text that every offset chachong reports indexes
(one paragraph per line): `docx` (python-docx), `pdf` (pypdfium2), `ofd` (ofdkit), `odt`
(the standard library), `rtf` (striprtf), `legacy` (.doc and .wps through LibreOffice or
antiword). `archive` guards the zip-based formats against bombs before any parser sees
them; `layout` turns the visual lines of a fixed-layout page (PDF, OFD) back into
paragraphs.
"""
