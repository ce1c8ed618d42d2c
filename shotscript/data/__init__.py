"""Data files shipped with the package: capabilities, prices."""
