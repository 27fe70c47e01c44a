"""The administrator's sources: edits of the municipality file's ``sources`` list and the approval
of discovered candidates. Shared by the dashboard's sources page and ``infopole sources``, so both
write the file the same way."""
