"""Convert a folder of checkpoints with a CSV of labels into an sne_pyg zoo folder.

    python converters/checkpoints.py CHECKPOINTS/ --labels labels.csv --out zoo/ [--targets acc,gap]

(the same as ``sne-pyg convert checkpoints ...``; see ``sne_pyg.converters.checkpoint_folder``).
"""
from sne_pyg.converters.checkpoint_folder import main

if __name__ == "__main__":
    main()
