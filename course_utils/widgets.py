"""Interactive explorers (ipywidgets) for the notebooks.

Each explorer works in JupyterLab and Colab; where no widget frontend exists
(nbval, exported slides) its cell still shows a static figure of the default
setting.
"""

from __future__ import annotations
