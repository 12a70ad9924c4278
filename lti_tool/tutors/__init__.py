"""Tutors: their settings, each field's checks, and CSV import and export.

``fields`` checks one value at a time; ``settings`` checks weekly rules and a whole set of
settings, saves them, and hands them to the slot engine. ``csv_import`` checks a file of tutors
with the same rules and ``import_writer`` writes it with set-based statements;
``csv_export`` writes the bookings out.
"""
