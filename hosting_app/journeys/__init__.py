"""Each firm's journey through the premises offer: occupancies, pipeline, matching, dashboard."""
