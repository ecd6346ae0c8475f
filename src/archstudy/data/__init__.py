"""Stage 2: datasets downloaded, verified and split."""
