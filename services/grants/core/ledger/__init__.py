"""The grant ledger, pure: balanced postings (`postings`), the hash chain and its offline check
(`chain`), and a posting as the chained entries the store writes (`journal`)."""
