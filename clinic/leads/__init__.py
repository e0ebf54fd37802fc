"""The lead domain: intake, pipeline, search and export rules, as plain functions."""
