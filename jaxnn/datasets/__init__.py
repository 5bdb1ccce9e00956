"""Small real data sets that ship with jaxnn (see ``data/NOTICE.md``)."""

# [tumor] the GBSG2 tumour data (jaxnn/datasets/_tumor.py)

# [book] the book's MNIST network and the MNIST test set (jaxnn/datasets/_book.py)

__all__: list[str] = [
    # [tumor]
    # [book]
]
