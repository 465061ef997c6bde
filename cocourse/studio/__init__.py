"""The authoring studio: for now, the status of the content being served."""
