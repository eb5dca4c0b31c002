"""The content: reading content/ and site.yaml, the content model and every check on it, and the site model
the outputs are made from (incidents, agencies, pages, with their history from git)."""
