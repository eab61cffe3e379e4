"""Signing at the signer's desk: see certificates/desk/services.py and docs/ca.md."""
