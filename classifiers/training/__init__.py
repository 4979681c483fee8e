"""Training code for the classifier heads and encoder, and data built for training (the functional suite)."""
