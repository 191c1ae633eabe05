"""Readers that turn outside formats (tracking providers, event feeds, timing streams) into
``sideline.core`` types, one module per source."""
