"""Leads imported from a spreadsheet or another CRM: reading the file (reading), mapping its
columns (mapping), checking each row (rows), matching people (matching), the dry run and the
import in resumable pieces (run), and undoing an import (undo)."""
