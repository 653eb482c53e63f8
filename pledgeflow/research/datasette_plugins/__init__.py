"""Datasette plugins that ``pledgeflow browse`` loads with ``--plugins-dir``, for its own
server only: installing pledgeflow changes no other Datasette."""
