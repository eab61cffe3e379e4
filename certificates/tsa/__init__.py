"""The simulated CA's time-stamping authority (RFC 3161): its signing unit and the tokens it
issued (docs/ca.md, "Time-stamping authority")."""
