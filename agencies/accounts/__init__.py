"""Account security: sign-in, second factor, lockout, sessions, re-authentication (docs/security.md)."""
