"""The remote-signing service (docs/remote-signing.md): sole control of a credential whose key
is in the CA's HSM (activation, signing PIN, second factor, lock) and signatures authorised
for exact hashes, used once."""
