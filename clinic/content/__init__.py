"""Educational pages: Markdown sources in pages/ and the loader that publishes them."""
