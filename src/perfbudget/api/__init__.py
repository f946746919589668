"""The HTTP side of the service: what turns domain answers and refusals into responses."""
