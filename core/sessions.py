"""Keys Regflow stores in a user's session, shared by the HTTP middleware and the websocket consumer."""

# When the session's login happened (a timestamp): SessionLifetimeMiddleware ends the session 12 hours
# later, and the notification consumer refuses a socket whose session is past that limit.
SESSION_STARTED_KEY = "regflow_session_started"

# When the session was last saved with a fresh idle expiry: SessionLifetimeMiddleware renews it again once
# SESSION_RENEW_SECONDS have passed, instead of writing it on every request.
SESSION_RENEWED_KEY = "regflow_session_renewed"
