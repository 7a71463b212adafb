"""One importer per official format; see base.py for the contract and ingest.py for the pipeline."""
