"""Templates: the sandboxed Jinja2 environment, the mail merge, and the renderers."""
