"""jaxnn's benchmark suite: every building block against its peers and a roofline.

Run it from the repository root::

    python -m benchmarks [--quick] [--json FILE] [--markdown FILE] [--plot FILE]
                         [--suite NAME]

See ``benchmarks/README.md`` for the method and how to read the results.
"""
