"""The accounts' settings (read by config/settings.py): sign-in lockout, the second factor,
sessions and re-authentication."""

from datetime import timedelta

from portal.lib.env import env_bool, env_int, env_str

# --- Accounts: lockout and second factor ---
# Sign-in lockout (django-axes, checked first) and TOTP second factor (django-otp),
# agencies/accounts/.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, the user read with their unread notification count
    "portal.backends.PortalBackend",
]
# An account is locked after PORTAL_LOGIN_FAILURE_LIMIT wrong passwords, a client address after
# PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT failures of any kind, each until the cool-off; a success
# resets nothing (docs/security.md, the sign-in lockout).
AXES_FAILURE_LIMIT = env_int("PORTAL_LOGIN_FAILURE_LIMIT", 5)
PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT", 100)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("PORTAL_LOGIN_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The account's count and the address's count, each against its own limit.
AXES_HANDLER = "agencies.accounts.lockout.PortalAxesHandler"
# Wrong codes in a row of one factor (authenticator or recovery codes) before it is locked for
# the cool-off; each doubles the wait before the next (django-otp's throttle).
PORTAL_2FA_FAILURE_LIMIT = env_int("PORTAL_2FA_FAILURE_LIMIT", 5)
# How long an administrator's enrolment code for the second factor stays valid.
PORTAL_ENROLMENT_CODE_HOURS = env_int("PORTAL_ENROLMENT_CODE_HOURS", 72)
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "agencies.accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "portal.middleware.client_address"
# The address is the proxy's X-Forwarded-For entry only behind our TLS proxy, REMOTE_ADDR otherwise.
PORTAL_CLIENT_IP_FROM_PROXY = env_bool("BEHIND_TLS_PROXY", False)
# Never written to the attempt log in clear: the second-factor code joins axes' own list.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]
AXES_HTTP_RESPONSE_CODE = 429
# The name authenticator apps show next to the account.
OTP_TOTP_ISSUER = env_str("PORTAL_TOTP_ISSUER", "Cong chu ky so chuyen dung")
# The code window is the current 30-second step of real time, one step either way, never a
# step already used: no drift is learned (docs/security.md, "Second factor").
OTP_TOTP_SYNC = False
# --- end of accounts block ---

# --- Accounts: sessions and re-authentication ---
# A session ends after PORTAL_SESSION_IDLE_MINUTES without a request (the window slides: a
# request moves the session's expiry, at most once a minute) and PORTAL_SESSION_MAX_HOURS after
# sign-in however active (agencies/accounts/sessions.py).
PORTAL_SESSION_IDLE_MINUTES = env_int("PORTAL_SESSION_IDLE_MINUTES", 30)
PORTAL_SESSION_MAX_HOURS = env_int("PORTAL_SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = PORTAL_SESSION_IDLE_MINUTES * 60
# --- end of accounts: sessions and re-authentication block ---
