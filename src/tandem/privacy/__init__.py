"""The privacy officer's reading of the audit trail: search, refused attempts, exports, and a
patient's access log. The trail itself (writing, sealing, verifying) is the audit package."""
