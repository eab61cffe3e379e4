"""Pages of the devices app. Views stay thin: a form parses, a service acts, a template
renders. Out of scope is 404 (`visible_to`), in scope but not allowed is 403, and a refused
operation (DomainError) is a message on the page."""
