"""The finance API under /v1: finance officers write, auditors read."""
