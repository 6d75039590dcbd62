"""The evaluation scripts: the reader's recipe, the answerer's choices, and their data."""
