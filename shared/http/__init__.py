"""The HTTP layer every service shares: `service` (the app factory), `problems` (RFC 9457 error
bodies), `context` (correlation id, log context, request counters), `health` (liveness and
readiness), `metrics`, `security` (limits and headers), `auth` (bearer tokens and roles),
`openapi` (a document that lists every answer) and `serve` (the uvicorn entry)."""
