"""The features' words for the library's objects: each table maps the phrase a step uses to what it stands for.
parameter_types.py turns each table into a step parameter type, so a step receives the object, never the phrase."""

# The roles of the contract, as a sentence names them.
ROLES = {"an end user": "enduser", "a supervisor": "supervisor", "an administrator": "admin"}
