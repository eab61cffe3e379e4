"""The portal's signing client: runs on the official's computer beside the browser, listens on
loopback only, and signs a document digest with the official's PKCS#11 token after the official
has seen what is signed and typed the PIN into the client's own page.

The protocol it speaks is described in the package's README.md. It imports nothing of the
portal and talks to it over HTTP only.
"""

CLIENT_NAME = "portal-signing-client"
__version__ = "1.0"
