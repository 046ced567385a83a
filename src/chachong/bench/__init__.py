"""The speed benchmark (`chachong bench`): synthetic library (`library`), runner (`runner`),
output (`table`) and the datasketch baseline (`baseline`). Outside the core's import graph:
nothing in the index or check path imports it."""
