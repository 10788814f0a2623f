"""Query plans: operators (`ops`), access-path choice (`access`), SELECT planning (`select`)."""
