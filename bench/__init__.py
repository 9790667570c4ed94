"""Load benchmark of Kaira (`make bench`) and its side-by-side comparison with the peers (`make bench-peers`).

The numbers only mean something when measured the same way every time, so every choice that affects them
(data, pinning, wrk flags, warm-up) lives in this package and is described in `docs/benchmarks.md`.
"""
