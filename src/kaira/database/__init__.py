"""The database: the declarative base and column types, the engines, and the two ways a request uses them.

`base` is what models are built on; `engines` opens connections tuned per backend; `sessions` gives a
request that changes data one ORM transaction; `core` runs single Core statements outside any session,
for the hot paths.
"""
