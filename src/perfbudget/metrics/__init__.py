"""``/metrics`` in the Prometheus text format: requests by route template, method and status
(counted in each process by a middleware), and what is read at scrape time (the connection
pool, the event outbox's backlog and last delivery failure)."""
