"""The caseworker page: server-rendered HTML that works without JavaScript. Its errors are pages
too, never problem+json."""
