"""The recipes: training the reader and choosing the answerer's thresholds (README.md)."""
