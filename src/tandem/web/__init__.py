"""Server-rendered pages: base templates, static assets, shared view helpers."""
