"""Referral's pure core: the partner directory, routing, the status machine, what each category of
partner may see, and the events a referral change causes. No I/O library (an import contract)."""
