"""make serve: a local preview server that watches the project, rebuilds what an edit affects with the engine
into .cache/preview/site/, and reloads the open pages in the browser."""
