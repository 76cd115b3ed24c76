"""Who uses Homeward: `model` (pure: roles, users and their scopes) and `store` (the users table in
the identity schema every service reads). The FastAPI glue that authenticates a request is
`shared.http.auth`."""
