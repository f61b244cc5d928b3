"""ingest: AFP wire copy and web pages in, rights-aware partner feeds out."""
