"""Developer tools: the accuracy tables and the coefficient fits."""
