"""Domain services: plain functions per area that take explicit inputs and raise domain errors.

Services add and flush; the caller (a view, job or command) owns the transaction and commits once.
"""
