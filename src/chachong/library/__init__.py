"""The library layer: document identities (`naming`), works, i.e. groups of near-duplicate
documents (`works`, `linking`), distributor lines (`ads`), what a draft is compared with
(`scope`), and the index's lifecycle (`lifecycle`: remove, interrupted first runs)."""
