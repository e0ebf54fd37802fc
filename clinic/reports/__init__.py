"""Reports: what brings patients in and how fast the clinic answers, aggregated in SQL."""
