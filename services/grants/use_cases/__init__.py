"""One function per command or consumed event: load, decide with the core, save + outbox in one
transaction. Each is handed a `GrantsContext`."""
