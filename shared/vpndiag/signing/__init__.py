"""Request signers, one module per scheme; each reproduces its vendor's published vectors."""
