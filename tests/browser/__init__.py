"""Browser tests: the web book in Chromium and the notebooks in JupyterLab (marker ``browser``)."""
