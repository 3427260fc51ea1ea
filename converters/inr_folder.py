"""Convert a DWSNet/NFN-style folder of INR checkpoints into an sne_pyg zoo folder.

    python converters/inr_folder.py mnist-inrs/ --out zoo/                     # labels and splits from the paths
    python converters/inr_folder.py mnist-inrs/ --splits mnist_splits.json --out zoo/

(the same as ``sne-pyg convert inr ...``; see ``sne_pyg.converters.inr_folder``).
"""
from sne_pyg.converters.inr_folder import main

if __name__ == "__main__":
    main()
