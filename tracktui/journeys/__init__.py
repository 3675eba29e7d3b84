"""Journeys: one submission followed across content filters, our own relays and hosts."""
