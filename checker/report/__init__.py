"""Reports of a check run: a JSON document (schemas/report.schema.json) and rich text."""
