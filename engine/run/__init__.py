"""Stage 4, the run folder: atomic files, exports, manifest, verification."""
