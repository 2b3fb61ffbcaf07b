"""Review and approval: after the run folder, before delivery.

``site`` writes the review pages (static files inside the run folder, data as JSON
chunks so 100,000 employees stay fast), ``server`` serves them on loopback behind a
random token, ``approval`` records finance's sign-off (optionally Ed25519-signed, see
``signing``) and ``audit`` lets ``payroll verify`` check these post-manifest areas.
"""
