"""Generator for the Kansas City area police incident record."""
