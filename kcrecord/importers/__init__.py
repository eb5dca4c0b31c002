"""Importers of published datasets into content files (The Washington Post's Fatal Force data)."""
