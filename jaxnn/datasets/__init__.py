"""Small real data sets that ship with jaxnn (see ``data/NOTICE.md``)."""

# [tumor] the GBSG2 tumour data (jaxnn/datasets/_tumor.py)
from jaxnn.datasets._tumor import gbsg2 as gbsg2
from jaxnn.datasets._tumor import tumor as tumor

# [book] the book's MNIST network and the MNIST test set (jaxnn/datasets/_book.py)
# isort: split
from jaxnn.datasets._book import book_network as book_network
from jaxnn.datasets._book import mnist_test as mnist_test

__all__: list[str] = [
    # [tumor]
    "gbsg2",
    "tumor",
    # [book]
    "book_network",
    "mnist_test",
]
