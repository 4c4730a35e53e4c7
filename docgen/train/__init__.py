"""Training on a docgen corpus (``pip install 'docgen[train]'``): trl + peft + transformers.

    midtrain   text documents, loss on every token, packed without attention across documents
    aft_data   chat data from the spec (``docgen aft generate``)
    aft        chat data, loss on the assistant's turns, continuing the midtraining adapter

Nothing here imports torch until a function runs, so ``docgen --help`` stays fast.
"""

from .config import TrainConfig

__all__ = ["TrainConfig"]
