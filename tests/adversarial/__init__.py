"""The standing adversarial harness of issue 13 ("Verdicts you can trust").

* :mod:`.corpus` generates one hostile document per attack class from freshly signed diplomas
  (fixed keys, fixed clock: every run builds the same bytes) and can dump it as JSON files;
* :mod:`.run` puts a case through the library, the CLI and the server and reads the verdicts;
* :mod:`.mutate` is the structural mutator (hypothesis strategies and a seeded random one);
* :mod:`.oracle` is the differential oracle (stock pyld in a fresh process, the JS reference).

Nothing here may ever expect "verified" of a hostile case: see docs/security.md.
"""
