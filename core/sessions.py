"""Keys Regflow stores in a user's session, shared by the HTTP middleware and the websocket consumer."""

# When the session's login happened (a timestamp): SessionLifetimeMiddleware ends the session 12 hours
# later, and the notification consumer refuses a socket whose session is past that limit.
SESSION_STARTED_KEY = "regflow_session_started"
