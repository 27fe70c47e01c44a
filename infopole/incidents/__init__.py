"""The appeals queue: incidents routed to departments with deadlines on a working calendar."""
