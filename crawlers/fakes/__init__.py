"""Local servers that speak the platforms' real wire formats, for tests and the offline demo."""
