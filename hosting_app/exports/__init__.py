"""Marketing's shared pitch material: site sheets and brochure (PDF), data files, CNIG open data.

None of these exports reads the CRM: no firm, contact person or inquiry ever leaves this way.
"""
