"""The one build engine behind make site, make check and make serve: it records what each output reads, keeps
its state in .cache/, makes again only the outputs whose inputs changed, and writes only files whose bytes changed."""
