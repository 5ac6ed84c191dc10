"""What the three services share on the HTTP side: app construction, errors, middleware, dependencies."""
