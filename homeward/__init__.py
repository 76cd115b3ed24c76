"""The `homeward` command line: one entry point that composes the launcher and the services."""
