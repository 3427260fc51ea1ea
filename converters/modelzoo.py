"""Convert a raw Model Zoos (Schürholt et al., NeurIPS 2022; ray.tune output) folder into an sne_pyg zoo folder.

    python converters/modelzoo.py ZOO/ --out zoo/          # trials split 70/15/15, every checkpoint a network

(the same as ``sne-pyg convert modelzoo ...``; see ``sne_pyg.converters.modelzoo``).
"""
from sne_pyg.converters.modelzoo import main

if __name__ == "__main__":
    main()
