from covcorpus import builder, other_spec_file, spec, spec_file  # noqa: F401  (fixtures)
