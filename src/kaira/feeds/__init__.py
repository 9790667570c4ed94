"""`GET /feed.xml`: the newest published posts as an Atom 1.0 feed."""
