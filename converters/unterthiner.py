"""Convert the Unterthiner et al. 2020 Small CNN Zoo into an sne_pyg zoo folder.

    python converters/unterthiner.py ZOO_DIR --out zoo/ [--targets test_accuracy] [--steps 86000]

(the same as ``sne-pyg convert unterthiner ...``; see ``sne_pyg.converters.unterthiner``).
"""
from sne_pyg.converters.unterthiner import main

if __name__ == "__main__":
    main()
