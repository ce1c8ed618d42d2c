"""The service's facts as data files with small typed loaders: the bottom stage.

capabilities (models → protocol, regions, limits, sizes, media), service (quotas, fps, URL
schemes), errors (API error codes), billing (the input-video rule), prices. Nothing here
imports another shotscript stage; every stage reads these instead of redefining them.
"""
