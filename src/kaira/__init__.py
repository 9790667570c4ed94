"""Kaira: users, posts and tags over FastAPI and SQLAlchemy 2.0."""
