"""Close the research loop: evaluate a model on BFCL v3 multi-turn or on generated data, score it the BFCL way,
and keep per-sample difficulty for export."""
