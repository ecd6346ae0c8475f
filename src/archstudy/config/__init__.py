"""Stage 1: the study config, read strictly, validated and resolved into a plan."""
