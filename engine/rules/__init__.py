"""Stage 2, compute: YAML rule packs applied to the month's records and the roster."""
