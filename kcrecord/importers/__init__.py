"""Importers that turn a published dataset (The Washington Post's Fatal Force data) into content files,
never overwriting a file a curator has edited."""
