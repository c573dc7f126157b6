"""PostgreSQL for the Observatory: Django's backend with a bound on every round trip (base.py)."""
