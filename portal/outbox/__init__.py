"""The ground floor of the transactional outboxes (docs/mail.md §3, docs/webhooks.md §3): the
fields, the reads and the writes that the e-mail and the webhook outboxes share. Each outbox
keeps its own table, statuses and sending; what is here is the lifecycle they have in common:
a row due, claimed for one attempt with a lease, its attempt recorded (sent, tried again after
a doubling wait, given up), and the sweep that queues again what a lost message or a dead
worker left behind."""
