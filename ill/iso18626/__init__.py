"""ISO 18626 v1.2: the interlibrary-loan messages member libraries' own systems exchange
with the portal (``POST /iso18626``).

``xml`` reads and validates messages safely, ``build`` writes them, ``codes`` is the one
table between ISO names and the portal's state machine, ``services`` acts on inbound
messages, ``outbound`` sends the portal's own to libraries that recorded an endpoint.
"""
