"""Demo data: invented but realistic leads, inquiries and timelines, written in bulk.

``flask demo seed`` fills an empty development or benchmark database; it refuses to run in
production and on a database that already holds leads.
"""
