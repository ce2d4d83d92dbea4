"""The session layer: what a review records, and the record-before-display API."""
