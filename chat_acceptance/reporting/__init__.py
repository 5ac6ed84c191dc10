"""Reporting: what the suite adds to the Allure results (labels, redacted attachments, run metadata, a contract
finding's own result), the HTML report, findings and promise table built from them, the console summary and the
baseline of known defects; one module per job.
"""
