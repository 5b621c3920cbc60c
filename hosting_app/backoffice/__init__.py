"""Back-office: sites, premises, photos and the territory's events, kept by their operators."""
