# Packaging is filled in by the packaging work; keep a no-op include point.
